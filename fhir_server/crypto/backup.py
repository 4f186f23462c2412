"""Encrypted, compressed, checksummed backups of the whole database, and their restore.

An archive is one header line of JSON, then the payload sealed with AES-256-GCM under a fresh
archive key that the master key wraps (its header is the associated data). The payload is
the zlib-compressed concatenation of every table's rows in PostgreSQL's binary COPY format
(every table of the schema but Alembic's, so audit tables and keys are included; bodies stay
sealed as stored, keys stay wrapped). The header holds, per table, the row count and a hash
of its content computed by PostgreSQL, and the SHA-256 of the payload: ``verify`` opens and
checks an archive, ``restore`` loads it into an empty database and checks the counts and
hashes there.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psycopg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg import sql

from resources.crypto.envelope import NONCE_BYTES, CryptoError, MasterKey, new_key
from resources.identity import now

FORMAT = "nutrivision-backup-1"
SUFFIX = ".nvbak"
_LENGTH = struct.Struct(">Q")
TABLES = (
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    " AND table_type = 'BASE TABLE' AND table_name <> 'alembic_version' ORDER BY table_name"
)
FILLED = ("resource", "resource_version", "phi_key")
"""Tables that must be empty in a restore target (a server that started on it fills
``phi_key``: restore before the first start, or into a new database)."""


class BackupError(Exception):
    """An archive that does not open, does not verify, or a target that is not empty."""


@dataclass(frozen=True)
class Archive:
    """An archive's header and, once opened, its tables' COPY data."""

    header: dict[str, Any]
    tables: dict[str, bytes]


def _fingerprint(conn: psycopg.Connection[Any], table: str) -> tuple[int, str]:
    query = sql.SQL(
        "SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '')"
        " FROM {} t"
    ).format(sql.Identifier(table))
    row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def _copy_out(conn: psycopg.Connection[Any], table: str) -> bytes:
    chunks: list[bytes] = []
    statement = sql.SQL("COPY {} TO STDOUT (FORMAT binary)").format(sql.Identifier(table))
    with conn.cursor().copy(statement) as copy:
        chunks.extend(bytes(data) for data in copy)
    return b"".join(chunks)


def _payload(tables: dict[str, bytes]) -> bytes:
    parts = []
    for name, data in tables.items():
        encoded = name.encode()
        parts += [_LENGTH.pack(len(encoded)), encoded, _LENGTH.pack(len(data)), data]
    return zlib.compress(b"".join(parts), 6)


def _tables(payload: bytes) -> dict[str, bytes]:
    raw, tables, at = zlib.decompress(payload), {}, 0
    while at < len(raw):
        (size,) = _LENGTH.unpack_from(raw, at)
        name = raw[at + 8 : at + 8 + size].decode()
        at += 8 + size
        (size,) = _LENGTH.unpack_from(raw, at)
        tables[name] = raw[at + 8 : at + 8 + size]
        at += 8 + size
    return tables


def create(database_url: str, master: MasterKey, folder: Path) -> Path:
    """Write an archive of the whole database into ``folder``; its path."""
    with psycopg.connect(database_url) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        names = [row[0] for row in conn.execute(TABLES)]
        tables = {name: _copy_out(conn, name) for name in names}
        counts = {name: _fingerprint(conn, name) for name in names}
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    payload = _payload(tables)
    key, nonce, created = new_key(), os.urandom(NONCE_BYTES), now()
    header = {
        "format": FORMAT,
        "created": created.isoformat(),
        "revision": revision[0] if revision else None,
        "master": master.fingerprint,
        "key": base64.b64encode(master.wrap(key, FORMAT.encode())).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "sha256": hashlib.sha256(payload).hexdigest(),
        "tables": {name: {"rows": c, "hash": h} for name, (c, h) in counts.items()},
    }
    line = orjson.dumps(header)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"nutrivision-{created.strftime('%Y%m%dT%H%M%S%fZ')}{SUFFIX}"
    path.write_bytes(line + b"\n" + AESGCM(key).encrypt(nonce, payload, line))
    return path


def read_header(path: Path) -> dict[str, Any]:
    """An archive's header, without opening it."""
    with path.open("rb") as handle:
        header: dict[str, Any] = orjson.loads(handle.readline())
    if header.get("format") != FORMAT:
        raise BackupError(f"{path.name} is not a {FORMAT} archive")
    return header


def open_archive(path: Path, master: MasterKey) -> Archive:
    """Decrypt and check an archive (tag, checksum, table list); ``BackupError`` if not."""
    line, _, sealed = path.read_bytes().partition(b"\n")
    header = read_header(path)
    if header["master"] != master.fingerprint:
        raise BackupError(f"{path.name} was made under master key {header['master']}")
    try:
        key = master.unwrap(base64.b64decode(header["key"]), FORMAT.encode())
        payload = AESGCM(key).decrypt(base64.b64decode(header["nonce"]), sealed, line)
    except (CryptoError, InvalidTag, ValueError):
        raise BackupError(f"{path.name} does not open: altered, or another master key") from None
    if hashlib.sha256(payload).hexdigest() != header["sha256"]:
        raise BackupError(f"{path.name}: checksum mismatch")
    tables = _tables(payload)
    if set(tables) != set(header["tables"]):
        raise BackupError(f"{path.name}: tables differ from its header")
    return Archive(header, tables)


def restore(database_url: str, archive: Archive) -> dict[str, int]:
    """Load an archive into an empty database of the same schema; rows per table.

    Counts and content hashes are checked in the same transaction: a mismatch rolls it back.
    """
    with psycopg.connect(database_url) as conn:
        present = {row[0] for row in conn.execute(TABLES)}
        missing = set(archive.tables) - present
        if missing:
            raise BackupError(f"the target lacks tables {sorted(missing)}: run db upgrade")
        for table in FILLED:
            if table in present and _fingerprint(conn, table)[0]:
                raise BackupError(f"the target is not empty ({table} has rows)")
        for table, data in archive.tables.items():
            statement = sql.SQL("COPY {} FROM STDIN (FORMAT binary)").format(sql.Identifier(table))
            with conn.cursor().copy(statement) as copy:
                copy.write(data)
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('resource_version', 'txid'),"
            " coalesce(max(txid), 0) + 1, false) FROM resource_version"
        )
        for table, expected in archive.header["tables"].items():
            rows, digest = _fingerprint(conn, table)
            if (rows, digest) != (expected["rows"], expected["hash"]):
                raise BackupError(f"{table}: {rows} rows restored, {expected['rows']} expected")
    return {table: int(v["rows"]) for table, v in archive.header["tables"].items()}


def expired(header: dict[str, Any], years: int, at: datetime | None = None) -> bool:
    """True when the archive is older than the retention period."""
    created = datetime.fromisoformat(header["created"])
    return (at or now()) - created > timedelta(days=365.25 * years)
