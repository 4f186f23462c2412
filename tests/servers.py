"""Test servers: PostgreSQL and Redis (embedded, or external from the environment) and the
FHIR server itself, started in a thread on a free loopback port."""

from __future__ import annotations

import asyncio
import io
import os
import socket
import sys
import threading
import time
import traceback
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import uvicorn

from fhir_server.db import migrate
from fhir_server.db.engine import sync_url
from fhir_server.embedded import EmbeddedServices, ServiceUrls
from fhir_server.http.app import create_app
from fhir_server.settings import Settings
from tests.stored_validity import invalid_versions

EXTERNAL_DB = "NUTRIVISION_TEST_DATABASE_URL"
EXTERNAL_REDIS = "NUTRIVISION_TEST_REDIS_URL"


def _libpq(url: str) -> str:
    return sync_url(url).replace("postgresql+psycopg://", "postgresql://")


def sql_connection(database_url: str) -> psycopg.Connection[Any]:
    """An autocommit connection to ``database_url`` (the server's URL), to check rows."""
    return psycopg.connect(_libpq(database_url), autocommit=True)


@contextmanager
def fresh_database(server_url: str, *, check_stored: bool = True) -> Iterator[str]:
    """A new, empty database on the server of ``server_url``, dropped afterwards; when the
    block ends without an error, every version stored there must be valid FHIR
    (``stored_validity``), unless ``check_stored`` is False (rows made up in SQL, keys wrapped
    by another master key, a schema migrated down)."""
    name = f"nvtest_{uuid.uuid4().hex[:12]}"
    admin = _libpq(server_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = server_url.partition("?")
    url = base.rsplit("/", 1)[0] + f"/{name}" + (f"?{query}" if query else "")
    try:
        yield url
        invalid = invalid_versions(url) if check_stored else []
        assert not invalid, f"stored versions that are not valid FHIR: {invalid[:10]}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def backing_services(data_dir: Path, *, check_stored: bool = True) -> Iterator[ServiceUrls]:
    """External servers when the environment names them, else embedded ones; the database is
    a fresh one (``fresh_database``, with ``check_stored``)."""
    if os.environ.get(EXTERNAL_DB) and os.environ.get(EXTERNAL_REDIS):
        with fresh_database(os.environ[EXTERNAL_DB], check_stored=check_stored) as database_url:
            try:
                yield ServiceUrls(database_url, _worker_redis(os.environ[EXTERNAL_REDIS]))
            finally:
                _report_running_loops()
        return
    with (
        EmbeddedServices(data_dir) as urls,
        fresh_database(urls.database_url, check_stored=check_stored) as database_url,
    ):
        try:
            yield ServiceUrls(database_url, urls.redis_url)
        finally:
            _report_running_loops()


def _worker_redis(url: str) -> str:
    """A Redis database of the test process's own: parallel test processes (pytest-xdist
    workers ``gw0``, ``gw1``, ...) share the external server but not counters such as the
    sign-in lockouts of 127.0.0.1."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    number = int(worker.removeprefix("gw")) % 15 + 1
    return urlunsplit(parts._replace(path=f"/{number}"))


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(urls: ServiceUrls, settings: Settings) -> Iterator[str]:
    """Migrate, then serve the app in a thread; yields the FHIR base URL."""
    migrate.upgrade(urls.database_url)
    app = create_app(settings, urls.database_url, urls.redis_url)
    port = free_port()
    # A request still in flight at the end (a client that gave up on it) must not hold the
    # shutdown: after the grace period uvicorn cancels it and runs the app's own shutdown
    # (job runner, audit queue) while the database is still there.
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    started_by = os.environ.get("PYTEST_CURRENT_TEST", "?")  # named in a LeftRunning warning
    thread = threading.Thread(target=server.run, daemon=True, name=f"server of {started_by}")
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/fhir"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        if thread.is_alive():  # the tasks it waits on, in the LeftRunning warning
            _STUCK[thread.name] = _still_running(thread) + _awaiting(server)


_LOOP = f"asyncio{os.sep}runners.py"


class LeftRunning(UserWarning):
    """A thread still runs an event loop when the session's database is about to go."""


def _report_running_loops() -> None:
    """Warn of each thread that still runs an event loop (``asyncio.run``, uvloop's too) when
    the session's database is about to go: a server some test left running, which would
    otherwise go on retrying against a database that is no longer there. The warning fails
    the session's teardown (``filterwarnings = error``) and names the thread (after the test
    that started it) with its stack and, for a server whose stop timed out, every task of its
    loop."""
    frames = sys._current_frames()
    for thread in threading.enumerate():
        frame = frames.get(thread.ident or -1)
        stack = traceback.format_stack(frame) if frame is not None else []
        if thread is not threading.current_thread() and any(_LOOP in line for line in stack):
            warnings.warn(
                f"thread {thread.name} still runs an event loop at the end of the session:\n"
                + "".join(stack)
                + _STUCK.get(thread.name, ""),
                LeftRunning,
                stacklevel=1,
            )


_STUCK: dict[str, str] = {}
"""What each server that did not stop in time was doing, by thread name."""


def _awaiting(server: uvicorn.Server) -> str:
    """The stack of every task of the server's event loop (what its shutdown waits for)."""
    loops = {listening.get_loop() for listening in server.servers}
    stacks = io.StringIO()
    for loop in loops:
        for task in list(asyncio.all_tasks(loop)):
            stacks.write(f"--- task {task.get_name()}\n")
            task.print_stack(file=stacks)
    return stacks.getvalue()


def _still_running(server: threading.Thread) -> str:
    """What a server that did not stop in time is doing: every thread's stack but this
    one's (the server's loop, its executor's workers, model loads)."""
    frames = sys._current_frames()
    stacks = [
        f"--- {thread.name}\n" + "".join(traceback.format_stack(frames[thread.ident]))
        for thread in threading.enumerate()
        if thread.ident in frames and thread is not threading.current_thread()
    ]
    return f"test server thread {server.name} did not stop within 30 s:\n" + "\n".join(stacks)
