"""``nutrivision serve`` killed with SIGKILL in the middle of an export: the next server takes
the job over once its heartbeat is stale and finishes it from the last checkpoint, with every
resource written exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fhir_server.db import migrate
from fhir_server.embedded import ServiceUrls
from tests.servers import free_port, fresh_database

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
COUNT = 300


@pytest.fixture
def env(services: ServiceUrls, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A server environment on a database of its own, exporting one resource per batch."""
    # the server runs without the session's master key: a key file of its own data directory
    # wraps its data keys
    with fresh_database(services.database_url, check_stored=False) as database_url:
        migrate.upgrade(database_url)
        yield {
            **{k: v for k, v in os.environ.items() if not k.startswith("NUTRIVISION_")},
            "PYTHONPATH": str(ROOT),
            "NUTRIVISION_DATABASE_URL": database_url,
            "NUTRIVISION_REDIS_URL": services.redis_url,
            "NUTRIVISION_DATA_DIR": str(tmp_path / "data"),
            "NUTRIVISION_JOBS_POLL_SECONDS": "0.2",
            "NUTRIVISION_JOBS_STALE_SECONDS": "2",
            "NUTRIVISION_BULK_EXPORT_BATCH": "1",
            "NUTRIVISION_BULK_EXPORT_PARALLEL": "1",
        }


def serve(env: dict[str, str], log: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """Start ``nutrivision serve`` and wait until it answers."""
    port = free_port()
    command = [sys.executable, "-m", "fhir_server", "serve", "--no-auth", "--port", str(port)]
    with log.open("ab") as output:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=output)
    base = f"http://127.0.0.1:{port}/fhir"
    deadline = time.monotonic() + 90
    while True:
        assert process.poll() is None, log.read_text()[-2000:]
        try:
            if httpx.get(f"{base}/metadata", timeout=2).status_code == 200:
                return base, process
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "serve did not start"
        time.sleep(0.3)


def written(http: httpx.Client, status: str) -> int:
    """Resources written so far, from X-Progress."""
    response = http.get(status)
    assert response.status_code == 202, "the export finished before it could be killed"
    first = response.headers["X-Progress"].split()[0]
    return int(first) if first.isdigit() else 0


def test_export_survives_sigkill(env: dict[str, str], tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    base, first = serve(env, log)
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            rows = [
                {"resourceType": "Basic", "id": f"k{n}", "code": {"text": "k"}}
                for n in range(COUNT)
            ]
            body = "\n".join(json.dumps(r) for r in rows).encode()
            headers = {"Prefer": "respond-async", "Content-Type": "application/fhir+ndjson"}
            loaded = http.post("/$import", content=body, headers=headers)
            while http.get(loaded.headers["Content-Location"]).status_code == 202:
                time.sleep(0.2)
            kick = http.get("/$export?_type=Basic", headers={"Prefer": "respond-async"})
            status = kick.headers["Content-Location"].removeprefix(base)
            deadline = time.monotonic() + 60
            while written(http, status) < 20:
                assert time.monotonic() < deadline
                time.sleep(0.05)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    base, second = serve(env, log)
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            deadline = time.monotonic() + 120
            while (done := http.get(status)).status_code == 202:
                assert time.monotonic() < deadline
                time.sleep(0.2)
            assert done.status_code == 200, done.text
            (output,) = done.json()["output"]
            ids = [json.loads(line)["id"] for line in http.get(output["url"]).text.splitlines()]
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)
    assert output["count"] == COUNT
    assert sorted(ids) == sorted(f"k{n}" for n in range(COUNT))
