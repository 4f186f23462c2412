"""Encrypted backups: create, list, verify; restore into an empty database gives the same
rows (checked by counts and content hashes); an altered archive or a non-empty target is
refused."""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from typer.testing import CliRunner

from fhir_server.cli import app
from fhir_server.db import migrate
from fhir_server.embedded import ServiceUrls
from resources.crypto.protection import open_body
from tests.integration.phi.phi_data import create_patient, distinctive, libpq
from tests.servers import fresh_database

pytestmark = pytest.mark.integration


@pytest.fixture
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="nutrivision-backup-") as name:
        yield Path(name)


def _env(database_url: str, services: ServiceUrls, folder: Path) -> dict[str, str]:
    return {
        "NUTRIVISION_DATABASE_URL": database_url,
        "NUTRIVISION_REDIS_URL": services.redis_url,
        "NUTRIVISION_BACKUP_DIR": str(folder),
    }


def _body(database_url: str, id_: str) -> bytes | None:
    with psycopg.connect(libpq(database_url)) as conn:
        row = conn.execute(
            "SELECT version_id, body FROM resource_version WHERE resource_type = 'Patient'"
            " AND id = %s ORDER BY version_id DESC LIMIT 1",
            (id_,),
        ).fetchone()
    assert row is not None
    return open_body("Patient", id_, row[0], bytes(row[1]))


def test_backup_verify_restore(client: httpx.Client, services: ServiceUrls, folder: Path) -> None:
    patient = create_patient(client, distinctive(uuid.uuid4().hex))
    _wait_for_sealed_links(client, services.database_url, patient["id"])
    runner = CliRunner()
    source = _env(services.database_url, services, folder)
    made = runner.invoke(app, ["backup", "create"], env=source)
    assert made.exit_code == 0, made.output
    (archive,) = folder.glob("*.nvbak")
    assert patient["name"][0]["family"].encode() not in archive.read_bytes()
    listed = runner.invoke(app, ["backup", "list"], env=source)
    assert archive.name in listed.output
    verified = runner.invoke(app, ["backup", "verify", str(archive)], env=source)
    assert verified.exit_code == 0, verified.output
    assert "verified" in verified.output
    refused = runner.invoke(app, ["backup", "restore", str(archive)], env=source)
    assert refused.exit_code == 1
    assert "not empty" in refused.output
    with fresh_database(services.database_url) as target:
        migrate.upgrade(target)
        restored = runner.invoke(
            app, ["backup", "restore", str(archive)], env=_env(target, services, folder)
        )
        assert restored.exit_code == 0, restored.output
        assert "restored and verified" in restored.output
        assert _body(target, patient["id"]) == _body(services.database_url, patient["id"])
        _assert_same_audit_chain(runner, target, services, folder)


def _wait_for_sealed_links(client: httpx.Client, database_url: str, id_: str) -> None:
    """Reads are audited through a queue whose flush also seals pending write events: read,
    then wait until the chain has links (the flush runs every half second)."""
    assert client.get(f"/Patient/{id_}").status_code == 200
    deadline = time.monotonic() + 30
    while not _links(database_url):
        assert time.monotonic() < deadline, "no audit event was sealed"
        time.sleep(0.2)


def _links(database_url: str) -> list[tuple[int, str]]:
    with psycopg.connect(libpq(database_url)) as conn:
        rows = conn.execute(
            "SELECT seq, hash FROM audit_event WHERE seq IS NOT NULL ORDER BY seq"
        ).fetchall()
    return [(int(seq), str(hash_)) for seq, hash_ in rows]


def _assert_same_audit_chain(
    runner: CliRunner, target: str, services: ServiceUrls, folder: Path
) -> None:
    """The restored audit trail is the same chain: every link as in the source (which may
    have grown since the backup), and it verifies from the first link on its own."""
    restored = _links(target)
    assert restored, "the backup carried no audit events"
    assert _links(services.database_url)[: len(restored)] == restored
    verified = runner.invoke(app, ["audit", "verify"], env=_env(target, services, folder))
    assert verified.exit_code == 0, verified.output
    assert f"audit chain intact: {len(restored)} events verified" in verified.output


def test_an_altered_archive_is_refused(services: ServiceUrls, folder: Path) -> None:
    runner = CliRunner()
    env = _env(services.database_url, services, folder)
    assert runner.invoke(app, ["backup", "create"], env=env).exit_code == 0
    (archive,) = folder.glob("*.nvbak")
    data = bytearray(archive.read_bytes())
    data[-40] ^= 1
    archive.write_bytes(bytes(data))
    result = runner.invoke(app, ["backup", "verify", str(archive)], env=env)
    assert result.exit_code == 1
    assert "does not open" in result.output
