"""Random values and their hashes: client secrets, passwords, codes and refresh tokens.

Passwords are hashed with bcrypt (cost 12): they have little entropy, so the hash must be slow.
Client secrets, codes and refresh tokens are 256-bit random values: a SHA-256 digest cannot be
reversed by guessing, and it lets the server find a row by the hash in one indexed lookup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import bcrypt

BCRYPT_COST = 12


def random_token(nbytes: int = 32) -> str:
    """A URL-safe random value (``nbytes`` of entropy)."""
    return secrets.token_urlsafe(nbytes)


def digest(value: str) -> str:
    """The SHA-256 hex digest of a high-entropy value, as stored."""
    return hashlib.sha256(value.encode()).hexdigest()


def matches_digest(value: str, stored: str) -> bool:
    """Whether ``value`` hashes to ``stored`` (constant time)."""
    return hmac.compare_digest(digest(value), stored)


def hash_password(password: str) -> str:
    """A bcrypt hash (cost 12) of a password."""
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the bcrypt hash ``stored``."""
    try:
        return bcrypt.checkpw(password.encode(), stored.encode())
    except ValueError:  # a malformed stored hash never matches
        return False


DUMMY_PASSWORD_HASH = hash_password(random_token())
"""Checked against when the user does not exist, so timing does not reveal user names."""


def password_problems(password: str) -> list[str]:
    """What makes a password too weak (empty when it is acceptable)."""
    problems = []
    if len(password) < 10:
        problems.append("at least 10 characters")
    kinds = sum(
        any(test(c) for c in password)
        for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    )
    if kinds < 3:
        problems.append("three of: lower case, upper case, digits, symbols")
    return problems


RECOVERY_CODES = 10


def recovery_codes() -> list[str]:
    """New one-time recovery codes (16 base32 characters, 80 bits, grouped for reading)."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:12]}-{raw[12:]}")
    return codes


def normalise_recovery_code(code: str) -> str:
    """A typed recovery code in its stored form (case and separators ignored)."""
    raw = "".join(c for c in code.lower() if c.isalnum())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:12]}-{raw[12:]}"
