"""The data keys a process holds: every key it may need to open a body, and the one it
seals new bodies with."""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from resources.crypto.envelope import CryptoError, open_sealed, seal, sealed_key_id


class Keyring:
    """Data keys by id (bytes), one of them active for writing."""

    def __init__(self) -> None:
        self._keys: dict[bytes, AESGCM] = {}
        self._raw: dict[bytes, bytes] = {}
        self._active: bytes | None = None

    def add(self, key_id: bytes, key: bytes) -> None:
        """Hold ``key`` (a key that is already held is left as it is)."""
        if key_id not in self._keys:
            self._keys[key_id] = AESGCM(key)
            self._raw[key_id] = key

    def key(self, key_id: bytes) -> bytes:
        """The key itself (to wrap it again: backups, a new master key)."""
        return self._raw[key_id]

    def activate(self, key_id: bytes) -> None:
        """Seal new bodies with ``key_id`` from now on."""
        if key_id not in self._keys:
            raise CryptoError(f"data key {key_id.hex()} is not loaded")
        self._active = key_id

    def knows(self, key_id: bytes) -> bool:
        """True when ``key_id`` is held."""
        return key_id in self._keys

    @property
    def active_id(self) -> bytes:
        """The id of the key new bodies are sealed with."""
        if self._active is None:
            raise CryptoError("no active data key")
        return self._active

    def ids(self) -> tuple[bytes, ...]:
        """Every key id held."""
        return tuple(self._keys)

    def seal(self, context: bytes, plaintext: bytes) -> tuple[bytes, bytes]:
        """``plaintext`` sealed under the active key, and that key's id."""
        key_id = self.active_id
        return seal(self._keys[key_id], key_id, context, plaintext), key_id

    def open(self, context: bytes, body: bytes) -> bytes:
        """The plaintext of a sealed body, whichever held key sealed it."""
        key_id = sealed_key_id(body)
        aead = self._keys.get(key_id)
        if aead is None:
            raise CryptoError(f"data key {key_id.hex()} is not loaded")
        return open_sealed(aead, context, body)
