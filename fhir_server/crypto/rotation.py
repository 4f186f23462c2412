"""Data key rotation without downtime, and re-encryption of every stored body.

``rotate``: (1) a new data key is stored ``pending``; every serving process loads it on its
next refresh, so it can open bodies sealed with it before any exists; (2) after ``grace``
seconds it becomes ``active`` and the old one ``retiring``: processes seal new versions with
it from their next refresh; (3) ``reencrypt`` walks ``resource_version`` in ``txid`` order, in
batches of one short transaction each, opening every body not under the active key and
sealing it again (an UPDATE guarded on the old key id, so a concurrent re-encryption is
harmless; versions are never updated otherwise); (4) once ``grace`` has passed since the
switch and a pass finds nothing left, the old keys are ``retired``. Bodies from before
encryption (plain JSON) are sealed by the same walk.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, and_, func, or_, select, text, update

from fhir_server.crypto.keystore import insert_key, key_rows, refresh
from fhir_server.db.phi_tables import phi_key
from fhir_server.db.schema import resource_version
from resources.crypto.envelope import MasterKey, is_sealed, new_key, new_key_id, row_context
from resources.crypto.protection import Protection

V = resource_version.c
Progress = Callable[["Sweep"], None]


@dataclass
class Sweep:
    """How far a re-encryption pass got."""

    done: int
    remaining: int
    passes: int


def _stale(active: str) -> ColumnElement[bool]:
    return and_(V.body.is_not(None), or_(V.body_key.is_(None), V.body_key != active))


def count_stale(engine: Engine, active: str) -> int:
    """Versions whose body is not sealed under the active key."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(_stale(active))).scalar_one())


def create_pending(engine: Engine, master: MasterKey, protection: Protection) -> bytes:
    """Store a new data key, not yet active, and hold it."""
    key, key_id = new_key(), new_key_id()
    with engine.begin() as conn:
        insert_key(conn, master, "data", "pending", key, key_id)
    protection.keyring.add(key_id, key)
    return key_id


def activate(engine: Engine, protection: Protection, key_id: bytes) -> None:
    """Make ``key_id`` the active key; the previous active key starts retiring."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('nutrivision phi keys'))"))
        data = phi_key.c.purpose == "data"  # the index key is not rotated here
        conn.execute(
            update(phi_key).where(data, phi_key.c.state == "active").values(state="retiring")
        )
        conn.execute(update(phi_key).where(phi_key.c.key_id == key_id.hex()).values(state="active"))
    protection.keyring.activate(key_id)


def _batch(engine: Engine, protection: Protection, after: int, size: int) -> tuple[int, int]:
    """Re-seal up to ``size`` stale versions after ``txid``; (count, last txid seen)."""
    active = protection.keyring.active_id.hex()
    query = (
        select(V.txid, V.resource_type, V.id, V.version_id, V.body, V.body_key)
        .where(V.txid > after, _stale(active))
        .order_by(V.txid)
        .limit(size)
    )
    with engine.begin() as conn:
        rows = conn.execute(query).all()
        for row in rows:
            context = row_context(row.resource_type, row.id, row.version_id)
            body = bytes(row.body)
            plain = protection.keyring.open(context, body) if is_sealed(body) else body
            sealed, key_id = protection.keyring.seal(context, plain)
            guard = V.body_key.is_(None) if row.body_key is None else V.body_key == row.body_key
            conn.execute(
                update(resource_version)
                .where(V.txid == row.txid, guard)
                .values(body=sealed, body_key=key_id.hex())
            )
    return len(rows), rows[-1].txid if rows else after


def reencrypt(engine: Engine, protection: Protection, size: int, progress: Progress) -> int:
    """One pass over every version: re-seal those not under the active key; how many."""
    active = protection.keyring.active_id.hex()
    sweep = Sweep(0, count_stale(engine, active), 1)
    after = 0
    while True:
        count, after = _batch(engine, protection, after, size)
        sweep.done += count
        sweep.remaining = max(sweep.remaining - count, 0)
        progress(sweep)
        if count < size:
            return sweep.done


def finish(
    engine: Engine,
    protection: Protection,
    master: MasterKey,
    settle: float,
    size: int,
    progress: Progress,
) -> None:
    """Sweep until nothing is left under an old key after ``settle`` seconds, then retire."""
    deadline = time.monotonic() + settle
    while True:
        with engine.connect() as conn:
            refresh(protection, key_rows(conn), master)
        reencrypt(engine, protection, size, progress)
        if time.monotonic() >= deadline and count_stale(engine, active_hex(protection)) == 0:
            break
        time.sleep(min(1.0, max(deadline - time.monotonic(), 0.1)))
    with engine.begin() as conn:
        retiring = and_(phi_key.c.purpose == "data", phi_key.c.state == "retiring")
        conn.execute(update(phi_key).where(retiring).values(state="retired"))


def active_hex(protection: Protection) -> str:
    """The active data key's id in hex."""
    return protection.keyring.active_id.hex()


def rotate(
    engine: Engine,
    protection: Protection,
    master: MasterKey,
    *,
    grace: float,
    size: int,
    progress: Progress,
) -> bytes:
    """The whole rotation (see the module's docstring); the new key's id."""
    key_id = create_pending(engine, master, protection)
    time.sleep(grace)  # every server loads the pending key before anything is sealed with it
    activate(engine, protection, key_id)
    finish(engine, protection, master, grace, size, progress)
    return key_id
