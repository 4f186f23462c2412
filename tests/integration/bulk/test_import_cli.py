"""``nutrivision import``, run as a real process on a database of its own; the database is then
read directly to check that every resource arrived and every reference resolves."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from fhir_server.embedded import ServiceUrls
from tests.integration.stored_rows import index_rows
from tests.servers import fresh_database
from tests.stored_bodies import opened_bodies
from tests.synthea import SYNTHEA_DIR, bundle_paths, read_bundle

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
SHARED = Path(os.environ.get("NUTRIVISION_SHARED_FIXTURES", ROOT.parent / "shared" / "fixtures"))
SHARED_SYNTHEA = SHARED / "synthea-r4-smart-on-fhir" / "bundles"


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture
def database(services: ServiceUrls) -> Iterator[str]:
    """A fresh database for one import."""
    with fresh_database(services.database_url) as url:
        yield url


def nutrivision(database: str, *args: str) -> subprocess.Popen[str]:
    """Start ``python -m fhir_server`` with the test database."""
    env = {**os.environ, "NUTRIVISION_DATABASE_URL": database, "PYTHONPATH": str(ROOT)}
    env.pop("NUTRIVISION_REDIS_URL", None)
    return subprocess.Popen(
        [sys.executable, "-m", "fhir_server", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(database: str, *args: str) -> tuple[int, str, str]:
    """Run the command to its end: exit status, stdout, stderr."""
    process = nutrivision(database, *args)
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def stored(database: str) -> dict[str, dict[str, Any]]:
    """Every current, live resource in the database by ``Type/id``."""
    query = (
        "SELECT r.resource_type, r.id, v.version_id, v.body FROM resource r"
        " JOIN resource_version v ON v.resource_type = r.resource_type AND v.id = r.id"
        " AND v.version_id = r.version_id WHERE NOT r.deleted"
    )
    with psycopg.connect(_libpq(database)) as conn:
        rows = conn.execute(query).fetchall()
    return {f"{t}/{i}": json.loads(body) for t, i, body in opened_bodies(database, rows)}


def references(node: Any) -> Iterator[str]:
    """Every ``reference`` value anywhere in ``node``."""
    if isinstance(node, list):
        for item in node:
            yield from references(item)
    elif isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield node["reference"]
        for value in node.values():
            yield from references(value)


def check_bundles_arrived(database: str, paths: list[Path]) -> None:
    """Per type, as many resources as the bundles hold; every reference resolves."""
    expected: dict[str, int] = {}
    for path in paths:
        for entry in read_bundle(path)["entry"]:
            kind = entry["resource"]["resourceType"]
            expected[kind] = expected.get(kind, 0) + 1
    found = stored(database)
    counted: dict[str, int] = {}
    for key in found:
        counted[key.split("/")[0]] = counted.get(key.split("/")[0], 0) + 1
    assert counted == expected
    dangling = {ref for body in found.values() for ref in references(body) if ref not in found}
    assert not {ref for ref in dangling if "/" in ref and not ref.startswith("#")}


def test_import_synthea_bundles_and_a_folder(database: str, tmp_path: Path) -> None:
    paths = bundle_paths()[:2]
    code, out, err = run(database, "import", *map(str, paths), "--state", str(tmp_path / "s"))
    assert code == 0, err
    assert "resources/s" in out
    check_bundles_arrived(database, paths)
    again, out, _ = run(database, "import", str(SYNTHEA_DIR), "--state", str(tmp_path / "s"))
    assert again == 0
    check_bundles_arrived(database, bundle_paths())  # the two done ones were skipped


def test_ndjson_and_collection_with_errors_reported(database: str, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    lines = [
        json.dumps({"resourceType": "Patient", "id": f"p{n}", "gender": "female"})
        for n in range(10)
    ]
    lines[3] = "{not json"
    lines[6] = json.dumps({"resourceType": "Patient", "id": "bad", "gender": 12})
    (folder / "patients.ndjson").write_text("\n".join(lines) + "\n")
    collection = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "urn:uuid:0c8c1a70-0000-4000-8000-000000000001",
                "resource": {"resourceType": "Organization", "name": "Clinic"},
            },
            {
                "resource": {
                    "resourceType": "Practitioner",
                    "id": "doc",
                    "extension": [
                        {
                            "url": "http://example.org/employer",
                            "valueReference": {
                                "reference": "urn:uuid:0c8c1a70-0000-4000-8000-000000000001"
                            },
                        }
                    ],
                }
            },
        ],
    }
    (folder / "collection.json").write_text(json.dumps(collection))
    (folder / "broken.json").write_text("{")
    code, out, err = run(
        database, "import", str(folder), "--state", str(tmp_path / "s"), "--batch", "4"
    )
    assert code == 1
    assert "patients.ndjson:4:" in err
    assert "patients.ndjson:7:" in err
    assert "broken.json:0:" in err
    found = stored(database)
    assert {k for k in found if k.startswith("Patient/")} == {
        f"Patient/p{n}" for n in range(10) if n not in (3, 6)
    }
    (organization,) = [k for k in found if k.startswith("Organization/")]
    employer = found["Practitioner/doc"]["extension"][0]["valueReference"]["reference"]
    assert employer == organization
    assert "2 errors" not in out
    assert "3 errors" in out


def test_fail_fast_stops_at_the_first_error(database: str, tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{")
    (tmp_path / "b.ndjson").write_text(json.dumps({"resourceType": "Patient", "id": "x"}) + "\n")
    code, _, err = run(
        database,
        "import",
        str(tmp_path / "a.json"),
        str(tmp_path / "b.ndjson"),
        "--fail-fast",
        "--state",
        str(tmp_path / "s"),
    )
    assert code == 1
    assert "a.json:0:" in err
    assert stored(database) == {}


@pytest.mark.parametrize("workers", ["0", "1"])
def test_an_interrupted_import_resumes(
    database: str, tmp_path: Path, workers: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed in the middle (with its worker processes, which would otherwise hold its output
    open), then run again: every line loaded, at most the last batch twice."""
    monkeypatch.setenv("NUTRIVISION_BULK_IMPORT_WORKERS", workers)
    total = 400
    source = tmp_path / "many.ndjson"
    lines = (
        json.dumps({"resourceType": "Basic", "id": f"b{n}", "code": {"text": "x"}})
        for n in range(total)
    )
    source.write_text("\n".join(lines) + "\n")
    state = tmp_path / "state.json"
    args = ("import", str(source), "--state", str(state), "--batch", "10")
    process = nutrivision(database, *args)
    deadline = time.monotonic() + 120
    while not state.exists() or json.loads(state.read_text())["files"].popitem()[1]["lines"] < 50:
        assert process.poll() is None, "the import ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    done_before = json.loads(state.read_text())["files"].popitem()[1]["lines"]
    assert 50 <= done_before < total
    code, _, err = run(database, *args)
    assert code == 0, err
    with psycopg.connect(_libpq(database)) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM resource WHERE resource_type = 'Basic'"
        ).fetchone() or (0,)
        (twice,) = conn.execute(
            "SELECT count(*) FROM resource WHERE version_id > 1"
        ).fetchone() or (0,)
    assert count == total
    assert twice <= 10  # at most the batch committed just before the kill is loaded again


@pytest.mark.skipif(not SHARED_SYNTHEA.exists(), reason="../shared/fixtures is not here")
def test_import_every_shared_synthea_bundle(database: str, tmp_path: Path) -> None:
    paths = sorted(SHARED_SYNTHEA.glob("*.json"))
    code, _out, err = run(database, "import", str(SHARED_SYNTHEA), "--state", str(tmp_path / "s"))
    assert code == 0, err[-2000:]
    check_bundles_arrived(database, paths)


def _batch_file(folder: Path) -> Path:
    """A batch Bundle: PUTs and POSTs, one invalid PUT, and two conditional creates (one
    matching the Patient loaded before it, one not)."""

    def entry(method: str, url: str, resource: dict[str, Any], **request: str) -> dict[str, Any]:
        return {"resource": resource, "request": {"method": method, "url": url, **request}}

    def known(value: str) -> dict[str, Any]:
        return {"resourceType": "Patient", "identifier": [{"system": "urn:test", "value": value}]}

    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "weight"},
        "subject": {"reference": "Patient/bp1"},
    }
    entries = [
        entry("PUT", "Patient/bp1", {"resourceType": "Patient", "id": "bp1", "gender": "male"}),
        entry("POST", "Observation", observation),
        entry("PUT", "Patient/bad", {"resourceType": "Patient", "id": "bad", "gender": 12}),
        entry("POST", "Patient", known("known"), ifNoneExist="identifier=urn:test|known"),
        entry("POST", "Patient", known("new"), ifNoneExist="identifier=urn:test|new"),
        entry("PUT", "Basic/bb1", {"resourceType": "Basic", "id": "bb1", "code": {"text": "x"}}),
    ]
    path = folder / "batch.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "batch", "entry": entries}))
    return path


def _identified(found: dict[str, dict[str, Any]], value: str) -> list[str]:
    return [
        key
        for key, body in found.items()
        if any(i.get("value") == value for i in body.get("identifier", []))
    ]


def test_a_batch_bundle_loads_each_entry_on_its_own(database: str, tmp_path: Path) -> None:
    identifier = [{"system": "urn:test", "value": "known"}]
    existing = {"resourceType": "Patient", "id": "known", "identifier": identifier}
    (tmp_path / "a.ndjson").write_text(json.dumps(existing) + "\n")
    batch = _batch_file(tmp_path)
    code, out, err = run(
        database, "import", str(tmp_path / "a.ndjson"), str(batch), "--state", str(tmp_path / "s")
    )
    assert code == 1, err
    assert "batch.json:3:" in err  # the invalid PUT, the Bundle's third entry
    assert [line for line in err.splitlines() if "batch.json:" in line and ":3:" not in line] == []
    assert "1 errors" in out
    found = stored(database)
    observations = [key for key in found if key.startswith("Observation/")]
    assert len(observations) == 1
    assert found[observations[0]]["subject"] == {"reference": "Patient/bp1"}
    assert found["Patient/bp1"]["gender"] == "male"
    assert "Basic/bb1" in found
    assert _identified(found, "known") == ["Patient/known"]  # the conditional create matched
    assert len(_identified(found, "new")) == 1
    assert len(found) == 5  # known, bp1, the Observation, new, bb1: nothing of the bad one
    with psycopg.connect(_libpq(database)) as conn:
        versions = conn.execute("SELECT count(*) FROM resource_version WHERE id = 'bad'").fetchone()
        assert versions == (0,)
        assert not any(index_rows(conn, "Patient", "bad").values())
        assert any(index_rows(conn, "Patient", "bp1").values())
