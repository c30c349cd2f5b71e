"""Secrets of sign-in: argon2 password hashes, random API tokens stored hashed, signed cookies.

Passwords are low-entropy, so they get argon2id (slow on purpose). API tokens and session ids are
256-bit random values: a plain SHA-256 digest is enough to store them, and lets the server find a
token by its digest in one indexed lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

ROLES = ("admin", "editor", "reader")
#: Prefix of API tokens, so a leaked one is recognisable in logs and secret scanners.
TOKEN_PREFIX = "cdk_"
#: Shortest password accepted by ``cabledesk admin create-user``.
MIN_PASSWORD = 10

_HASHER = PasswordHasher()
#: Verified against when the user does not exist, so a wrong name costs the same time as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a real password: timing equaliser")


def hash_password(password: str) -> str:
    """The argon2id hash to store."""
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored`` (None: unknown user, still spends the same time)."""
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A fresh API token (shown once to its owner; only its digest is stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_secret() -> str:
    """A random value for session ids and CSRF tokens."""
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    """SHA-256 hex digest under which a token or session id is stored."""
    return hashlib.sha256(value.encode()).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two secrets (False when either is missing)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


class CookieSigner:
    """Signs cookie values with the server secret (tampered or expired values read as None)."""

    def __init__(self, secret: str, salt: str, max_age: int) -> None:
        self._s = URLSafeTimedSerializer(secret, salt=salt)
        self.max_age = max_age

    def dumps(self, value: Any) -> str:
        return str(self._s.dumps(value))

    def loads(self, signed: str | None) -> Any:
        if not signed:
            return None
        try:
            return self._s.loads(signed, max_age=self.max_age)
        except BadSignature:
            return None
