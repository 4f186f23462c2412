"""Envelope encryption: AES-256-GCM bodies under data keys, data keys wrapped by a master key.

A sealed body is ``FORMAT | key id (16 bytes) | nonce (12 bytes) | ciphertext+tag``. The
associated data is the header (format and key id) and the row's identity (type, id, version),
so a ciphertext moved to another row, or relabelled with another key id, fails to open.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = b"\x01"
KEY_ID_BYTES = 16
NONCE_BYTES = 12
KEY_BYTES = 32
HEADER = len(FORMAT) + KEY_ID_BYTES


class CryptoError(Exception):
    """A key is missing or wrong, or a ciphertext does not open: never silently ignored."""


class MasterKey(Protocol):
    """Wraps and unwraps data keys: a local key here, a KMS (AWS, GCP, Vault) in an adapter."""

    @property
    def fingerprint(self) -> str:
        """A stable, non-secret name of the master key (stored beside what it wraps)."""
        ...

    def wrap(self, key: bytes, context: bytes) -> bytes:
        """``key`` encrypted under the master key, bound to ``context``."""
        ...

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        """The key ``wrap`` encrypted; ``CryptoError`` if the master key or context differs."""
        ...


class LocalMasterKey:
    """A 256-bit master key held in memory (read from a key file or the environment)."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != KEY_BYTES:
            raise CryptoError(f"a master key is {KEY_BYTES} bytes, not {len(secret)}")
        self._aead = AESGCM(secret)
        digest = hmac.new(secret, b"nutrivision master key fingerprint", hashlib.sha256)
        self._fingerprint = digest.hexdigest()[:16]

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def wrap(self, key: bytes, context: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, key, context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        try:
            return self._aead.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], context)
        except InvalidTag:
            raise CryptoError("the master key does not unwrap this data key") from None


def new_key() -> bytes:
    """A fresh random 256-bit key."""
    return os.urandom(KEY_BYTES)


def new_key_id() -> bytes:
    """A random key id: unique across databases, so keys of several never collide."""
    return os.urandom(KEY_ID_BYTES)


def row_context(resource_type: str, id_: str, version: int) -> bytes:
    """The associated data naming one version row."""
    return f"{resource_type}/{id_}/_history/{version}".encode()


def is_sealed(body: bytes) -> bool:
    """True when ``body`` is a sealed body rather than JSON text (which starts with ``{``)."""
    return body[:1] == FORMAT


def sealed_key_id(body: bytes) -> bytes:
    """The id of the data key that sealed ``body``."""
    return bytes(body[len(FORMAT) : HEADER])


def seal(aead: AESGCM, key_id: bytes, context: bytes, plaintext: bytes) -> bytes:
    """``plaintext`` sealed under the data key ``key_id`` for the row ``context``."""
    header = FORMAT + key_id
    nonce = os.urandom(NONCE_BYTES)
    return header + nonce + aead.encrypt(nonce, plaintext, header + context)


def open_sealed(aead: AESGCM, context: bytes, body: bytes) -> bytes:
    """The plaintext of a sealed body; ``CryptoError`` if it was altered or moved."""
    header, nonce = bytes(body[:HEADER]), bytes(body[HEADER : HEADER + NONCE_BYTES])
    try:
        return aead.decrypt(nonce, bytes(body[HEADER + NONCE_BYTES :]), header + context)
    except InvalidTag:
        raise CryptoError(f"a sealed body does not open for {context.decode()}") from None
