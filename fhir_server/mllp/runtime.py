"""Starting the HL7 v2 side: the processor on a store, recovery, the listener."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine

from fhir_server.mllp.inbox import Inbox
from fhir_server.mllp.listener import ListenerConfig, MllpListener
from fhir_server.mllp.processor import Hl7Processor
from fhir_server.mllp.worker import InboxWorker
from fhir_server.settings import Settings
from resources.ports import ResourceStore

SERVICE = "hl7v2"
"""The name ``$process-hl7v2`` finds the processor under in the operation services."""


def listener_config(
    settings: Settings, port: int | None = None, reuse_port: bool = False
) -> ListenerConfig:
    """The listener's settings (``port`` overrides ``NUTRIVISION_MLLP_PORT``)."""
    return ListenerConfig(
        host=settings.mllp_host,
        port=port if port is not None else (settings.mllp_port or 2575),
        max_bytes=settings.mllp_max_bytes,
        idle_timeout_s=settings.mllp_idle_timeout_s,
        allowed_ips=tuple(settings.mllp_allowed_ips),
        tls_cert=settings.mllp_tls_cert,
        tls_key=settings.mllp_tls_key,
        reuse_port=reuse_port,
    )


def processor(engine: AsyncEngine, store: ResourceStore, settings: Settings) -> Hl7Processor:
    """The inbox flow on ``store``, with the configured allowed senders and ACK rule."""
    ack_on_store = settings.mllp_ack == "stored"
    return Hl7Processor(store, Inbox(engine), settings.mllp_allowed_senders, ack_on_store)


@asynccontextmanager
async def running_worker(
    flow: Hl7Processor, per_transaction: int = 20
) -> AsyncIterator[InboxWorker]:
    """An inbox worker in a task for the block, stopped at its end after the batch under way
    (what it had claimed and not written stays stored, and recovery takes it)."""
    worker = InboxWorker(flow, per_transaction)
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        await worker.stop()
        await task


@asynccontextmanager
async def hl7_services(
    engine: AsyncEngine,
    store: ResourceStore,
    settings: Settings,
    port: int | None = None,
    recover: bool = True,
    reuse_port: bool = True,
    worker: bool = True,
) -> AsyncIterator[dict[str, Hl7Processor]]:
    """The processor as an operation service; with a port (or ``NUTRIVISION_MLLP_PORT``),
    messages left unfinished are processed (unless ``recover`` is off: another process of a
    group does it) and the listener runs for the block. The port is shared
    (``reuse_port``), so every worker of ``serve --workers N`` listens on it; recovery in
    each is safe, as a message is claimed before it is processed. With ACKs on storing, an
    inbox worker runs in this process unless ``worker`` is off (``nutrivision mllp`` runs
    it in a process of its own, so writing does not delay ACKs)."""
    flow = processor(engine, store, settings)
    port = port if port is not None else settings.mllp_port
    if port is None:
        yield {SERVICE: flow}
        return
    if recover:  # with ACKs on storing, the stored rows are the inbox worker's
        await flow.recover(claimed_only=flow.ack_on_store)
    listener = MllpListener(flow, listener_config(settings, port, reuse_port))
    async with contextlib.AsyncExitStack() as stack:
        if worker and flow.ack_on_store:
            await stack.enter_async_context(running_worker(flow, settings.mllp_worker_batch))
        await listener.start()
        try:
            yield {SERVICE: flow}
        finally:
            await listener.close()
