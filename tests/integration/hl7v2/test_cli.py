"""``nutrivision mllp`` as a process (recovery at start) and ``nutrivision hl7 dead-letters``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from fhir_server.cli import app
from fhir_server.embedded import ServiceUrls
from fhir_server.settings import Settings
from operations.hl7v2.er7 import parse
from tests.integration.hl7v2.client import AUTHORITY, fields, message, send
from tests.integration.hl7v2.conftest import Harness
from tests.servers import free_port, running_server

pytestmark = pytest.mark.integration


def _env(services: ServiceUrls) -> dict[str, str]:
    return {
        "NUTRIVISION_DATABASE_URL": services.database_url,
        "NUTRIVISION_REDIS_URL": services.redis_url,
    }


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "nutrivision mllp exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("nutrivision mllp did not listen")


def _written(client: httpx.Client, identifier: str) -> dict[str, Any]:
    """The Patient search for ``identifier``, once the inbox worker has written it."""
    deadline = time.monotonic() + 60
    while not (found := client.get("/Patient", params={"identifier": identifier}).json()).get(
        "entry"
    ):
        assert time.monotonic() < deadline, "the stored message was never written"
        time.sleep(0.2)
    return dict(found)


def test_mllp_processes_recover_stored_messages_then_serve(
    services: ServiceUrls, mllp: Harness, client: httpx.Client
) -> None:
    mrn = f"P{uuid.uuid4().hex[:8]}"
    pending = parse(message(f"P{uuid.uuid4().hex[:10]}", f"PID|1||{mrn}^^^HOSP^MR||ROE^ANN"))
    # stored as the listener stores it before a stop, never processed
    mllp.run(mllp.flow.inbox.store("TESTFAC", pending.control_id, "ADT^A01", pending.text, "x"))
    port = free_port()
    command = [sys.executable, "-m", "fhir_server", "mllp", "--port", str(port), "--processes", "2"]
    process = subprocess.Popen(command, env={**os.environ, **_env(services)})
    try:
        _wait_for_port(port, process)
        found = _written(client, f"{AUTHORITY}|{mrn}")  # by the inbox worker process
        assert len(found["entry"]) == 1
        for _ in range(4):  # new connections, spread by the kernel over both processes
            ack = send(port, message(f"Q{uuid.uuid4().hex[:10]}", "PID|1||Q1^^^HOSP^MR||ROE^B"))
            assert fields(ack, "MSA")[1] == "AA"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def test_dead_letters_list_and_replay(services: ServiceUrls, mllp: Harness) -> None:
    control = f"Z{uuid.uuid4().hex[:10]}"
    send(mllp.port, message(control, "PID|1||Z1^^^HOSP^MR||DOE^J\nAL1|1|FA||SV|Hives"))
    runner = CliRunner()
    listed = runner.invoke(
        app, ["hl7", "dead-letters", "list", "--limit", "500"], env=_env(services)
    )
    assert listed.exit_code == 0, listed.output
    line = next(x for x in listed.output.splitlines() if "AL1-3 allergen is empty" in x)
    letter_id = line.split("\t")[0]
    replay = runner.invoke(app, ["hl7", "dead-letters", "replay", letter_id], env=_env(services))
    assert replay.exit_code == 1  # the cause is still there: AE again
    assert f"{letter_id}\tAE" in replay.output
    again = runner.invoke(
        app, ["hl7", "dead-letters", "list", "--limit", "500", "--replayed"], env=_env(services)
    )
    assert any(
        x.startswith(f"{letter_id}\t") and "replayed:AE" in x for x in again.output.splitlines()
    )


def test_fhir_server_with_mllp_port_serves_both(services: ServiceUrls) -> None:
    port = free_port()
    settings = Settings(mllp_port=port, auth_required=False)
    with running_server(services, settings) as base:
        mrn = f"S{uuid.uuid4().hex[:8]}"
        ack = send(port, message(f"S{uuid.uuid4().hex[:10]}", f"PID|1||{mrn}^^^HOSP^MR||ROE^S"))
        assert fields(ack, "MSA")[1] == "AA"  # once stored: the inbox worker writes it after
        with httpx.Client(base_url=base) as http:
            found = _written(http, f"{AUTHORITY}|{mrn}")
        assert len(found["entry"]) == 1
