"""The two porting secrets and how they are kept.

- The losing carrier's account PIN must reach the carrier in clear, so it is encrypted at rest
  (Fernet: AES-128-CBC + HMAC-SHA256) and decrypted only to dispatch.
- The port-out PIN is only ever compared, so it is one-way: Django's scrypt hasher with a
  random salt per number.
Neither value is ever rendered, logged or audited.
"""
from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.contrib.auth.hashers import ScryptPasswordHasher

_pin_hasher = ScryptPasswordHasher()


def _fernet() -> Fernet:
    key = settings.ORBIT.get("PORTING_ENCRYPTION_KEY") or base64.urlsafe_b64encode(
        hashlib.sha256(f"orbit.porting.account-pin:{settings.SECRET_KEY}".encode()).digest()).decode()
    return Fernet(key)


def account_pin_encrypt(pin: str) -> str:
    return _fernet().encrypt(pin.encode()).decode() if pin else ""


def account_pin_decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        # The key changed since the PIN was stored: dispatch without it rather than crash;
        # the carrier will reject with PASSCODE_PIN_INVALID and the customer can supplement.
        return ""


def port_out_pin_hash(pin: str) -> str:
    return _pin_hasher.encode(pin, _pin_hasher.salt())


def port_out_pin_matches(pin: str, encoded: str) -> bool:
    return bool(pin) and bool(encoded) and _pin_hasher.verify(pin, encoded)
