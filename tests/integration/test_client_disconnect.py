"""A search whose client closes its connection is cancelled in PostgreSQL; one whose client
stays is answered; a write is never cancelled.

The slow search is made deterministic by a lock, as in ``test_search_timeout``: another
transaction holds ``resource`` in ACCESS EXCLUSIVE mode, so the search's statement waits,
and ``pg_stat_activity`` shows it waiting. The server is a real uvicorn (the in-process
transports never report a disconnect), with no search time limit.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest

from fhir_server.embedded import ServiceUrls
from fhir_server.settings import Settings
from tests.servers import fresh_database, running_server, sql_connection

pytestmark = pytest.mark.integration
SEARCH = b"GET /fhir/Patient?family=Lock HTTP/1.1\r\nHost: test\r\n\r\n"
FORM_SEARCH = (
    b"POST /fhir/Patient/_search HTTP/1.1\r\nHost: test\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\nfamily=Lock"
)


def _waiting(monitor: psycopg.Connection[Any], locker: int) -> int:
    """Statements of this database waiting for a lock (the locker's excepted)."""
    row = monitor.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND pid <> %s",
        (locker,),
    ).fetchone()
    return int(row[0]) if row else 0


def _within(seconds: float, condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@contextmanager
def _served(services: ServiceUrls, settings: Settings) -> Iterator[tuple[str, str]]:
    """A server on a fresh database holding one Patient named Lock: its base and the URL."""
    unlimited = settings.model_copy(update={"search_timeout_s": 0})
    with (
        fresh_database(services.database_url) as url,
        running_server(ServiceUrls(url, services.redis_url), unlimited) as base,
    ):
        patient = {"resourceType": "Patient", "name": [{"family": "Lock"}]}
        assert httpx.post(f"{base}/Patient", json=patient).status_code == 201
        yield base, url


@contextmanager
def _locked(url: str) -> Iterator[tuple[psycopg.Connection[Any], int]]:
    """``resource`` locked by another transaction; a monitor connection and the locker's pid."""
    with sql_connection(url) as locker, sql_connection(url) as monitor:
        locker.execute("BEGIN")
        locker.execute("LOCK TABLE resource IN ACCESS EXCLUSIVE MODE")
        try:
            yield monitor, locker.info.backend_pid
        finally:
            locker.execute("ROLLBACK")


def _found(base: str, family: str) -> int:
    bundle = httpx.get(f"{base}/Patient", params={"family": family}).json()
    return len(bundle.get("entry", []))


def _stopped_events(base: str) -> list[dict[str, Any]]:
    """AuditEvents of stopped requests (flushed periodically, so polled)."""
    bundle = httpx.get(f"{base}/AuditEvent", params={"outcome": "4"}).json()
    events = [entry["resource"] for entry in bundle.get("entry", [])]
    return [e for e in events if "closed its connection" in e.get("outcomeDesc", "")]


def _connect(base: str) -> socket.socket:
    parts = urlsplit(base)
    return socket.create_connection((parts.hostname or "", parts.port or 80), timeout=10)


def _sent_and_left(base: str, url: str, request: bytes, seconds: float) -> tuple[bool, bool]:
    """Send ``request`` while ``resource`` is locked and close the connection once its
    statement waits: whether it waited, and whether no statement waits within ``seconds``."""
    with _locked(url) as (monitor, locker):
        client = _connect(base)
        client.sendall(request)
        started = _within(10, lambda: _waiting(monitor, locker) == 1)
        client.close()
        gone = _within(seconds, lambda: _waiting(monitor, locker) == 0)
    return started, gone


@pytest.mark.parametrize("request_bytes", [SEARCH, FORM_SEARCH], ids=["get", "post-search"])
def test_a_search_whose_client_left_is_cancelled(
    services: ServiceUrls, settings: Settings, request_bytes: bytes
) -> None:
    with _served(services, settings) as (base, url):
        started, cancelled = _sent_and_left(base, url, request_bytes, 5)
        found = _found(base, "Lock")  # the pool's connection serves the next search
        stopped = _within(20, lambda: bool(_stopped_events(base)))
    assert started
    assert cancelled
    assert found == 1
    assert stopped  # the audit trail records the search, as stopped


def test_a_search_whose_client_stays_is_answered(services: ServiceUrls, settings: Settings) -> None:
    with _served(services, settings) as (base, url):
        client = _connect(base)
        with _locked(url) as (monitor, locker):
            client.sendall(SEARCH)
            started = _within(10, lambda: _waiting(monitor, locker) == 1)
            still = not _within(1, lambda: _waiting(monitor, locker) == 0)
        with client:
            head = client.recv(65536)
    assert started
    assert still
    assert head.startswith(b"HTTP/1.1 200")


def test_a_write_whose_client_left_completes(services: ServiceUrls, settings: Settings) -> None:
    body = b'{"resourceType": "Patient", "name": [{"family": "Left"}]}'
    request = (
        b"POST /fhir/Patient HTTP/1.1\r\nHost: test\r\nContent-Type: application/fhir+json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    with _served(services, settings) as (base, url):
        started, gone = _sent_and_left(base, url, request, 1)
        kept = not gone
        written = _within(10, lambda: _found(base, "Left") == 1)
    assert started
    assert kept
    assert written
