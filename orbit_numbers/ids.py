"""Public identifiers: a short type prefix and 20 random base32 characters.

Model defaults must be module-level functions so migrations can reference them.
"""
import secrets

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def new_id(prefix: str) -> str:
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(20))


def new_org_id() -> str:
    return new_id("org")


def new_key_id() -> str:
    return new_id("key")
