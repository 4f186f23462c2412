"""The keys in the database (wrapped) and the master key outside it (file or environment).

At start, under an advisory lock (several workers start at once): an empty key table gets a
new index key and a new active data key, wrapped by the master key, which is created in the
key file if there is none yet. A key table that holds keys needs the master key that wrapped
them: a missing master key, or another one, stops the start with a message saying so.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Row, insert, select, text

from fhir_server.db.phi_tables import phi_key
from resources.crypto.blind import BlindIndex
from resources.crypto.envelope import (
    KEY_BYTES,
    CryptoError,
    LocalMasterKey,
    MasterKey,
    new_key,
    new_key_id,
)
from resources.crypto.keyring import Keyring
from resources.crypto.protection import Protection
from resources.identity import now

KeyRow = Row[Any]
LOCK = "SELECT pg_advisory_xact_lock(hashtext('nutrivision phi keys'))"


def parse_secret(encoded: str) -> bytes:
    """A master key written as base64 (standard or URL-safe) or as 64 hex digits."""
    value = encoded.strip()
    try:
        secret = bytes.fromhex(value) if len(value) == 2 * KEY_BYTES else b""
    except ValueError:
        secret = b""
    if not secret:
        try:
            secret = base64.urlsafe_b64decode(value.replace("+", "-").replace("/", "_"))
        except (binascii.Error, ValueError):
            raise CryptoError("the master key is neither base64 nor hex") from None
    if len(secret) != KEY_BYTES:
        raise CryptoError(f"the master key must be {KEY_BYTES} bytes, not {len(secret)}")
    return secret


@dataclass(frozen=True)
class MasterSource:
    """Where the master key comes from: the environment if set, else the key file."""

    env_value: str | None
    path: Path

    def load(self) -> MasterKey | None:
        """The master key, or None when neither the environment nor the file has one."""
        if self.env_value:
            return LocalMasterKey(parse_secret(self.env_value))
        if not self.path.exists():
            return None
        return LocalMasterKey(parse_secret(self.path.read_text("ascii")))

    def create(self) -> MasterKey:
        """A new master key in the key file (readable by its owner only)."""
        if self.env_value:
            return LocalMasterKey(parse_secret(self.env_value))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        secret = new_key()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker was first
            found = self.load()
            assert found is not None  # the file exists
            return found
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.urlsafe_b64encode(secret).decode() + "\n")
        return LocalMasterKey(secret)


def key_context(purpose: str, key_id: str) -> bytes:
    """What a wrapped key is bound to: its purpose and id."""
    return f"nutrivision:{purpose}:{key_id}".encode()


def insert_key(
    conn: Connection, master: MasterKey, purpose: str, state: str, key: bytes, key_id: bytes
) -> None:
    """Store ``key`` wrapped by ``master``."""
    hex_id = key_id.hex()
    conn.execute(
        insert(phi_key).values(
            key_id=hex_id,
            purpose=purpose,
            state=state,
            master=master.fingerprint,
            wrapped=master.wrap(key, key_context(purpose, hex_id)),
            created=now(),
        )
    )


def _unwrap(row: KeyRow, master: MasterKey) -> bytes:
    if row.master != master.fingerprint:
        raise CryptoError(
            f"key {row.key_id} is wrapped by master key {row.master}, but the configured "
            f"master key is {master.fingerprint}: set NUTRIVISION_MASTER_KEY or restore the "
            "key file that belongs to this database"
        )
    return master.unwrap(row.wrapped, key_context(row.purpose, row.key_id))


def refresh(protection: Protection, rows: Iterable[KeyRow], master: MasterKey) -> None:
    """Load keys created since (another process rotated) and follow the active one."""
    for row in rows:
        if row.purpose != "data":
            continue
        key_id = bytes.fromhex(row.key_id)
        if not protection.keyring.knows(key_id):
            protection.keyring.add(key_id, _unwrap(row, master))
        if row.state == "active":
            protection.keyring.activate(key_id)


def protection_from(rows: Sequence[KeyRow], master: MasterKey) -> Protection:
    """Every key of the table, unwrapped; fails when the master key does not fit."""
    index = [row for row in rows if row.purpose == "index"]
    if len(index) != 1 or not any(r.state == "active" for r in rows if r.purpose == "data"):
        raise CryptoError("the key table needs one index key and one active data key")
    protection = Protection(
        Keyring(), BlindIndex(_unwrap(index[0], master)), bytes.fromhex(index[0].key_id)
    )
    refresh(protection, rows, master)
    return protection


def _create_keys(conn: Connection, master: MasterKey, reuse: Protection | None) -> None:
    if reuse is not None:
        # This process already serves another database: give this one the same keys, so
        # one process-wide protection serves both (tests that create databases).
        insert_key(conn, master, "index", "active", reuse.blind.key, reuse.index_key_id)
        for key_id in reuse.keyring.ids():
            state = "active" if key_id == reuse.keyring.active_id else "retired"
            insert_key(conn, master, "data", state, reuse.keyring.key(key_id), key_id)
        return
    insert_key(conn, master, "index", "active", new_key(), new_key_id())
    insert_key(conn, master, "data", "active", new_key(), new_key_id())


def key_rows(conn: Connection) -> Sequence[KeyRow]:
    """Every row of the key table."""
    return conn.execute(select(phi_key).order_by(phi_key.c.created)).all()


def load_protection(
    conn: Connection, source: MasterSource, reuse: Protection | None = None
) -> tuple[Protection, MasterKey]:
    """The database's keys (created on first start), unwrapped by the master key."""
    conn.execute(text(LOCK))
    rows = key_rows(conn)
    master = source.load()
    if not rows:
        master = master or source.create()
        _create_keys(conn, master, reuse)
        rows = key_rows(conn)
    elif master is None:
        raise CryptoError(
            f"the database holds encrypted data but no master key was found: set "
            f"NUTRIVISION_MASTER_KEY or restore {source.path}"
        )
    return protection_from(rows, master), master
