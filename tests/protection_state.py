"""The process's PHI protection swapped for the length of a block, then put back: a test
server of the same session holds one, which the tests around this block rely on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from resources.crypto import protection
from resources.crypto.blind import BlindIndex
from resources.crypto.envelope import new_key
from resources.crypto.keyring import Keyring


def blinded() -> protection.Protection:
    """A protection with keys of its own: a person's names, birth dates and identifiers are
    then searched on blind index rows (``search_sql.blind``)."""
    return protection.Protection(Keyring(), BlindIndex(new_key()), b"i" * 16)


@contextmanager
def protection_as(installed: protection.Protection | Literal["none", "off"]) -> Iterator[None]:
    """``installed`` for the block: a protection, ``none`` (no keys, as ``nutrivision db
    upgrade`` runs) or ``off`` (explicitly plain); the process's own afterwards."""
    saved, mode = protection.current(), protection.mode()
    if installed == "none":
        protection.uninstall()
    elif installed == "off":
        protection.install_disabled()
    else:
        protection.install(installed)
    try:
        yield
    finally:
        if saved is not None:
            protection.install(saved)
        elif mode == "off":
            protection.install_disabled()
        else:
            protection.uninstall()
