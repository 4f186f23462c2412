"""Envelope encryption: sealed bodies open only for their row, under their key."""

from __future__ import annotations

import pytest

from resources.crypto.envelope import (
    CryptoError,
    LocalMasterKey,
    is_sealed,
    new_key,
    new_key_id,
    row_context,
    sealed_key_id,
)
from resources.crypto.keyring import Keyring

BODY = b'{"resourceType":"Patient","name":[{"family":"Rivera"}]}'


def _keyring() -> tuple[Keyring, bytes]:
    keyring, key_id = Keyring(), new_key_id()
    keyring.add(key_id, new_key())
    keyring.activate(key_id)
    return keyring, key_id


def test_a_sealed_body_opens_for_its_row_only() -> None:
    keyring, key_id = _keyring()
    context = row_context("Patient", "a", 1)
    sealed, used = keyring.seal(context, BODY)
    assert used == key_id
    assert is_sealed(sealed)
    assert sealed_key_id(sealed) == key_id
    assert b"Rivera" not in sealed
    assert keyring.open(context, sealed) == BODY
    for other in (row_context("Patient", "a", 2), row_context("Patient", "b", 1)):
        with pytest.raises(CryptoError):
            keyring.open(other, sealed)


def test_each_seal_uses_a_fresh_nonce() -> None:
    keyring, _ = _keyring()
    context = row_context("Patient", "a", 1)
    assert keyring.seal(context, BODY)[0] != keyring.seal(context, BODY)[0]


def test_a_tampered_body_or_key_id_fails() -> None:
    keyring, _ = _keyring()
    other_id = new_key_id()
    keyring.add(other_id, new_key())
    context = row_context("Patient", "a", 1)
    sealed = bytearray(keyring.seal(context, BODY)[0])
    flipped = bytes(sealed[:-1]) + bytes([sealed[-1] ^ 1])
    with pytest.raises(CryptoError):
        keyring.open(context, flipped)
    relabelled = sealed[:1] + other_id + sealed[17:]
    with pytest.raises(CryptoError):
        keyring.open(context, bytes(relabelled))


def test_an_unknown_key_is_an_error_not_plain_text() -> None:
    keyring, _ = _keyring()
    sealed, _ = keyring.seal(row_context("Patient", "a", 1), BODY)
    with pytest.raises(CryptoError, match="not loaded"):
        _keyring()[0].open(row_context("Patient", "a", 1), sealed)


def test_the_master_key_wraps_bound_to_a_context() -> None:
    master, key = LocalMasterKey(new_key()), new_key()
    wrapped = master.wrap(key, b"data:1")
    assert master.unwrap(wrapped, b"data:1") == key
    with pytest.raises(CryptoError):
        master.unwrap(wrapped, b"data:2")
    with pytest.raises(CryptoError):
        LocalMasterKey(new_key()).unwrap(wrapped, b"data:1")
    assert master.fingerprint != LocalMasterKey(new_key()).fingerprint
    with pytest.raises(CryptoError):
        LocalMasterKey(b"short")
