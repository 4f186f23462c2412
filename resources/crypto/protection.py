"""The process's protection: the keys loaded at start, used by every read, write and search.

The storage adapter installs it once the keys are loaded (``install``), or states that this
process runs without encryption (``install_disabled``, for benchmarks). Until one of them is
called, sealed bodies cannot be opened and writes are refused, so a server never silently
stores plaintext. One process serves one database's keys; key ids are random, so the keys of
another database can be held beside them without confusion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from resources.crypto.blind import BlindIndex
from resources.crypto.envelope import CryptoError, is_sealed, row_context
from resources.crypto.keyring import Keyring


@dataclass
class Protection:
    """The data keys and the index key of one database."""

    keyring: Keyring
    blind: BlindIndex
    index_key_id: bytes


Mode = Literal["unset", "on", "off"]
_state: dict[str, Protection | None] = {"current": None}
_mode: dict[str, Mode] = {"mode": "unset"}


def install(protection: Protection) -> None:
    """Encrypt and blind with ``protection`` from now on."""
    _state["current"] = protection
    _mode["mode"] = "on"


def install_disabled() -> None:
    """Store bodies and index values in plain text (benchmarks of the cost of encryption)."""
    _state["current"] = None
    _mode["mode"] = "off"


def uninstall() -> None:
    """Back to the state before any install (tests of start-up failures)."""
    _state["current"] = None
    _mode["mode"] = "unset"


def current() -> Protection | None:
    """The installed protection, or None when there is none (plain text or not yet set)."""
    return _state["current"]


def mode() -> Mode:
    """``on``, ``off`` (explicitly plain) or ``unset``."""
    return _mode["mode"]


def blind_index() -> BlindIndex | None:
    """The index key's digests, when PHI index values are to be blinded."""
    protection = _state["current"]
    return protection.blind if protection is not None else None


def seal_body(resource_type: str, id_: str, version: int, body: bytes) -> tuple[bytes, str | None]:
    """The body to store for a version, and the hex id of its data key (None: plain text)."""
    protection = _state["current"]
    if protection is None:
        if _mode["mode"] == "off":
            return body, None
        raise CryptoError("no data key loaded: refusing to store a body in plain text")
    sealed, key_id = protection.keyring.seal(row_context(resource_type, id_, version), body)
    return sealed, key_id.hex()


def open_body(resource_type: str, id_: str, version: int, body: bytes | None) -> bytes | None:
    """The JSON of a stored body (sealed or, from before encryption, plain)."""
    if body is None or not is_sealed(body):
        return body
    protection = _state["current"]
    if protection is None:
        raise CryptoError("a sealed body was read but no data key is loaded")
    return protection.keyring.open(row_context(resource_type, id_, version), body)
