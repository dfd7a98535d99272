"""How API key secrets are stored and checked: a keyed SHA-256 (HMAC with a server pepper).

A key's secret is 256 random bits (``secrets.token_urlsafe(32)``), so no dictionary or brute force
can find it: stretching it (PBKDF2) adds nothing but latency to every request. An HMAC under a
pepper the database does not hold keeps a stolen table useless, and costs microseconds.

Stored hashes say how they were made (``hmac_sha256$<hex>``), so the format can change again. Keys
minted before this format carry ``pbkdf2_sha256_apikey$…``: they still verify, and the caller
re-hashes them on that success (``SecretCheck.needs_upgrade``), as it does for a key that matched
only under a previous pepper (ORBIT["API_KEY_PEPPER_FALLBACKS"]; DEPLOY.md).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.utils.crypto import constant_time_compare, salted_hmac

HMAC_ALGORITHM = "hmac_sha256"
# Separates this use of the pepper from any other HMAC made with the same secret (salted_hmac's key_salt).
_KEY_SALT = "orbit_numbers.api_key_secret"


class LegacyApiKeyHasher(PBKDF2PasswordHasher):
    """The former format (PBKDF2, 1,000 rounds): only verified, never written for a new secret."""

    algorithm = "pbkdf2_sha256_apikey"
    iterations = 1_000


_legacy_hasher = LegacyApiKeyHasher()


@dataclass(frozen=True)
class SecretCheck:
    matches: bool
    # It matched, but not as a new secret would be stored today: store secret_hash(secret) instead.
    needs_upgrade: bool = False


def peppers() -> list[str]:
    """The current pepper first, then the previous ones that still verify (never used to hash).

    ORBIT_API_KEY_PEPPER when set, else SECRET_KEY (salted_hmac's key_salt keeps the derived key
    apart from SECRET_KEY's other uses); its fallbacks likewise ORBIT_API_KEY_PEPPER_FALLBACKS, else
    SECRET_KEY_FALLBACKS, so rotating either the usual way keeps every key working."""
    pepper = settings.ORBIT.get("API_KEY_PEPPER", "")
    if pepper:
        return [pepper, *settings.ORBIT.get("API_KEY_PEPPER_FALLBACKS", [])]
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def _digest(secret: str, pepper: str) -> str:
    return salted_hmac(_KEY_SALT, secret, secret=pepper, algorithm="sha256").hexdigest()


def secret_hash(secret: str) -> str:
    """What is stored for a new secret: ``hmac_sha256$<hex digest under the current pepper>``."""
    return f"{HMAC_ALGORITHM}${_digest(secret, peppers()[0])}"


def secret_check(secret: str, stored: str) -> SecretCheck:
    """Does ``secret`` match the ``stored`` hash (either format)? Compared in constant time."""
    if not secret or not stored:
        return SecretCheck(matches=False)
    algorithm, _, digest = stored.partition("$")
    if algorithm == HMAC_ALGORITHM:
        for position, pepper in enumerate(peppers()):
            if constant_time_compare(_digest(secret, pepper), digest):
                return SecretCheck(matches=True, needs_upgrade=position > 0)
        return SecretCheck(matches=False)
    if algorithm == LegacyApiKeyHasher.algorithm:
        matches = _legacy_hasher.verify(secret, stored)  # constant_time_compare inside too
        return SecretCheck(matches=matches, needs_upgrade=matches)
    return SecretCheck(matches=False)


def legacy_secret_hash(secret: str) -> str:
    """A hash in the former PBKDF2 format: only for tests and tooling that need a not-yet-migrated key."""
    return _legacy_hasher.encode(secret, _legacy_hasher.salt())
