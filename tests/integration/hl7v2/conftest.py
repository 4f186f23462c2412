"""An MLLP listener on the test database, in a thread with its own event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from sqlalchemy import event

from fhir_server.db.engine import create_engine
from fhir_server.embedded import ServiceUrls
from fhir_server.mllp.inbox import Inbox
from fhir_server.mllp.listener import ListenerConfig, MllpListener
from fhir_server.mllp.processor import Hl7Processor
from fhir_server.mllp.worker import InboxWorker
from fhir_server.store.fast_reads import FastReader
from fhir_server.store.resource_store import PostgresResourceStore
from tests.integration.hl7v2.client import fields, send

T = TypeVar("T")


class Harness:
    """The running listener: its port, its processor, and a way to run coroutines on its
    loop (for recovery tests)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.port = 0
        self.processor: Hl7Processor | None = None
        self.listener: MllpListener | None = None
        self.worker: InboxWorker | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the listener's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=120)

    def written(self) -> None:
        """Wait until the inbox worker has written every stored message."""
        assert self.worker is not None
        self.run(self.worker.idle())

    def statements_for(self, text: str) -> int:
        """The SQL statements the listener's engine sends to answer ``text`` (ACKed AA)."""
        executed: list[str] = []
        engine = self.flow.inbox.engine.sync_engine

        def count(*args: object) -> None:
            executed.append("statement")

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert fields(send(self.port, text), "MSA")[1] == "AA"
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(executed)

    @property
    def flow(self) -> Hl7Processor:
        """The processor behind the listener."""
        assert self.processor is not None
        return self.processor


async def _start(harness: Harness, database_url: str, ack_on_store: bool) -> FastReader:
    engine = create_engine(database_url, 10)
    reader = FastReader(database_url, 2)
    await reader.open()
    store = PostgresResourceStore(engine, reader)
    harness.processor = Hl7Processor(store, Inbox(engine), ack_on_store=ack_on_store)
    config = ListenerConfig(port=0, max_bytes=256 * 1024, idle_timeout_s=10)
    harness.listener = MllpListener(harness.processor, config)
    if ack_on_store:
        harness.worker = InboxWorker(harness.processor, sole=False)  # beside test servers
        harness.tasks.add(asyncio.get_running_loop().create_task(harness.worker.run()))
    await harness.listener.start()
    harness.port = harness.listener.port
    return reader


async def _stop(harness: Harness, reader: FastReader) -> None:
    if harness.listener is not None:
        await harness.listener.close()
    if harness.worker is not None:
        await harness.worker.stop()
    await asyncio.gather(*harness.tasks)
    await reader.close()
    await harness.flow.inbox.engine.dispose()


def _harness(database_url: str, ack_on_store: bool) -> Iterator[Harness]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    harness = Harness(loop)
    reader = harness.run(_start(harness, database_url, ack_on_store))
    try:
        yield harness
    finally:
        harness.run(_stop(harness, reader))
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@pytest.fixture(scope="session")
def mllp(services: ServiceUrls, base_url: str) -> Iterator[Harness]:
    """The listener answering after the FHIR write (``NUTRIVISION_MLLP_ACK=processed``), on
    the database the FHIR test server uses (migrated by ``base_url``)."""
    yield from _harness(services.database_url, False)


@pytest.fixture(scope="module")
def mllp_stored(services: ServiceUrls, base_url: str) -> Iterator[Harness]:
    """The listener answering once a message is stored, with an inbox worker writing it."""
    yield from _harness(services.database_url, True)
