"""The ``nutrivision`` command: settings validation, ``db upgrade``/``db status``, and
``serve`` on the embedded default (a real process: it starts PostgreSQL and Redis, answers
``/fhir/metadata``, stops them on exit and finds its data again on the next start)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest
from typer.testing import CliRunner

from fhir_server.cli import app
from fhir_server.db import migrate
from fhir_server.embedded import DATABASE_NAME, MAX_CONNECTIONS, ServiceUrls
from tests.servers import free_port, fresh_database

pytestmark = pytest.mark.integration


def _env(database_url: str, redis_url: str) -> dict[str, str]:
    return {"NUTRIVISION_DATABASE_URL": database_url, "NUTRIVISION_REDIS_URL": redis_url}


def test_db_status_then_upgrade_on_an_empty_database(services: ServiceUrls) -> None:
    runner = CliRunner()
    with fresh_database(services.database_url) as url:
        env = _env(url, services.redis_url)
        pending = runner.invoke(app, ["db", "status"], env=env)
        assert pending.exit_code == 1
        assert "(empty database)" in pending.output
        upgraded = runner.invoke(app, ["db", "upgrade"], env=env)
        assert upgraded.exit_code == 0, upgraded.output
        current = runner.invoke(app, ["db", "status"], env=env)
        assert current.exit_code == 0
        assert f"current: {migrate.head_revision()}" in current.output


def test_bad_settings_are_named_one_per_line() -> None:
    env = {"NUTRIVISION_DATABASE_URL": "mysql://x", "NUTRIVISION_MAX_BODY_BYTES": "tiny"}
    result = CliRunner().invoke(app, ["db", "status"], env=env)
    assert result.exit_code == 2
    assert "NUTRIVISION_DATABASE_URL: Value error, must be a PostgreSQL URL" in result.output
    assert "NUTRIVISION_MAX_BODY_BYTES:" in result.output


@pytest.fixture
def embedded_env() -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUTRIVISION_")}
    with tempfile.TemporaryDirectory(prefix="nutrivision-cli-", ignore_cleanup_errors=True) as root:
        env["NUTRIVISION_DATA_DIR"] = str(Path(root) / "data")
        yield env


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "fhir_server", "serve", "--port", str(port), "--no-auth"]
    log = Path(env["NUTRIVISION_DATA_DIR"]).parent / f"serve-{port}.log"
    with log.open("wb") as output:
        return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, f"serve exited with {process.returncode}"
        try:
            if httpx.get(f"{base}/fhir/metadata", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.3)
    raise AssertionError("server did not answer /fhir/metadata in time")


def _postgres_running(data_dir: Path) -> bool:
    return any(
        str(data_dir) in " ".join(p.info["cmdline"] or [])
        for p in psutil.process_iter(["name", "cmdline"])
        if p.info["name"] == "postgres"
    )


@pytest.fixture
def serve_process(embedded_env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    process = _serve(embedded_env, port)
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def _stop(process: subprocess.Popen[bytes], signum: int = signal.SIGINT) -> None:
    process.send_signal(signum)
    assert process.wait(timeout=60) == 0


def test_serve_embedded_stops_cleanly_and_keeps_data(
    serve_process: tuple[str, subprocess.Popen[bytes]], embedded_env: dict[str, str]
) -> None:
    base, process = serve_process
    data_dir = Path(embedded_env["NUTRIVISION_DATA_DIR"])
    _wait_ready(base, process)
    socket_dir = data_dir / "postgres"
    with psycopg.connect(f"postgresql://postgres@/{DATABASE_NAME}?host={socket_dir}") as conn:
        row = conn.execute("SHOW max_connections").fetchone()
    assert row is not None
    assert int(row[0]) == MAX_CONNECTIONS
    created = httpx.post(
        f"{base}/fhir/Patient",
        json={"resourceType": "Patient", "name": [{"family": "Persist"}]},
        headers={"Content-Type": "application/fhir+json"},
    )
    assert created.status_code == 201
    patient_id = created.json()["id"]
    _stop(process)
    assert not _postgres_running(data_dir / "postgres")

    port = free_port()
    again = _serve(embedded_env, port)
    try:
        _wait_ready(f"http://127.0.0.1:{port}", again)
        read = httpx.get(f"http://127.0.0.1:{port}/fhir/Patient/{patient_id}")
        assert read.status_code == 200
        assert read.json()["name"][0]["family"] == "Persist"
    finally:
        _stop(again, signal.SIGTERM)  # as a service manager stops it
    assert not _postgres_running(data_dir / "postgres")
