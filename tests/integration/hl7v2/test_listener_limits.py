"""Listener limits: frame size, idle timeout, source addresses, allowed senders, TLS."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fhir_server.mllp.framing import END, START
from fhir_server.mllp.listener import ListenerConfig, MllpListener
from fhir_server.mllp.processor import Hl7Processor
from tests.integration.hl7v2.client import fields, message, send_raw
from tests.integration.hl7v2.conftest import Harness

pytestmark = pytest.mark.integration


@contextmanager
def listener(mllp: Harness, config: ListenerConfig) -> Iterator[int]:
    """Another listener on the same processor; yields its port."""
    extra = MllpListener(mllp.flow, config)
    mllp.run(extra.start())
    try:
        yield extra.port
    finally:
        mllp.run(extra.close())


def test_frame_over_the_size_limit_is_refused(mllp: Harness) -> None:
    with listener(mllp, ListenerConfig(port=0, max_bytes=2048)) as port:
        big = message("BIG1", "PID|1||1^^^H^MR||" + "X" * 5000).encode()
        answer = send_raw(port, START + big + END)
    assert b"MSA|AR|" in answer
    assert b"larger than 2048 bytes" in answer


def test_idle_connection_is_closed(mllp: Harness) -> None:
    with (
        listener(mllp, ListenerConfig(port=0, idle_timeout_s=0.2)) as port,
        socket.create_connection(("127.0.0.1", port), timeout=30) as sock,
    ):
        assert sock.recv(10) == b""  # closed by the listener, nothing sent


def test_source_address_not_allowed_is_dropped(mllp: Harness) -> None:
    with (
        listener(mllp, ListenerConfig(port=0, allowed_ips=("10.0.0.0/8",))) as port,
        socket.create_connection(("127.0.0.1", port), timeout=30) as sock,
    ):
        try:
            answer = sock.recv(10)
        except ConnectionResetError:
            answer = b""
    assert answer == b""  # closed at once, without a word


def test_sender_not_allowed_gets_ar(mllp: Harness) -> None:
    strict = Hl7Processor(mllp.flow.store, mllp.flow.inbox, {"OTHERFAC"})
    outcome = mllp.run(strict.receive(message(f"S{uuid.uuid4().hex[:8]}", "PID|1||1^^^H^MR")))
    assert outcome.code == "AR"
    assert "not allowed" in outcome.ack


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test certificate")
def test_tls(mllp: Harness, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    text = message(f"T{uuid.uuid4().hex[:8]}", "PID|1||TLS1^^^HOSP^MR||DOE^T")
    with (
        listener(mllp, ListenerConfig(port=0, tls_cert=cert, tls_key=key)) as port,
        socket.create_connection(("127.0.0.1", port), timeout=30) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as sock,
    ):
        sock.sendall(START + text.encode() + END)
        answer = sock.recv(65536).decode()
    assert fields(answer.strip("\x0b\x1c\r"), "MSA")[1] == "AA"
