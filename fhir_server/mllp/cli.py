"""``nutrivision mllp`` (the listener on its own) and ``nutrivision hl7 dead-letters``."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Annotated, TypeVar

import typer

from fhir_server.composition import open_store
from fhir_server.db import migrate
from fhir_server.mllp.processor import Hl7Processor
from fhir_server.mllp.runtime import hl7_services, processor
from fhir_server.mllp.worker import InboxWorker
from fhir_server.settings import Settings, SettingsError, load_settings

T = TypeVar("T")
_WORKER_NICENESS = 10

hl7_app = typer.Typer(help="HL7 v2: the inbox and its dead letters", no_args_is_help=True)
dead_letters_app = typer.Typer(help="Messages refused or failed", no_args_is_help=True)
hl7_app.add_typer(dead_letters_app, name="dead-letters")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


def _with_processor(work: Callable[[Hl7Processor], Awaitable[T]]) -> T:
    """Run ``work`` with a processor on the configured (or embedded) database."""
    from fhir_server.cli import services

    settings = _settings()

    async def main(database_url: str) -> T:
        async with open_store(settings, database_url, 4) as opened:
            return await work(processor(opened.engine, opened.store, settings))

    with services(settings) as urls:
        migrate.upgrade(urls.database_url)
        return asyncio.run(main(urls.database_url))


def _listen(
    database_url: str, port: int, host: str | None, first: bool, group: bool, worker: bool
) -> None:
    """One listening process: the first of a group recovers unfinished messages; ``worker``
    also writes the messages answered on storing."""
    settings = _settings()
    if host is not None:
        settings = settings.model_copy(update={"mllp_host": host})
    logging.basicConfig(level=logging.INFO)

    async def main() -> None:
        async with (
            open_store(settings, database_url, settings.db_pool_size) as opened,
            hl7_services(opened.engine, opened.store, settings, port, first, group, worker),
        ):
            await asyncio.Event().wait()

    with suppress(KeyboardInterrupt):
        asyncio.run(main())


def _work(database_url: str) -> None:
    """A process that only writes stored messages (the listeners only store and answer).
    It runs at a lower CPU priority: on a busy machine the ACKs, which a sender waits for,
    go first, and the backlog waits safely in the inbox."""
    os.nice(_WORKER_NICENESS)
    settings = _settings()
    logging.basicConfig(level=logging.INFO)

    async def main() -> None:
        async with open_store(settings, database_url, settings.db_pool_size) as opened:
            flow = processor(opened.engine, opened.store, settings)
            await InboxWorker(flow, settings.mllp_worker_batch).run()

    with suppress(KeyboardInterrupt):
        asyncio.run(main())


def mllp(
    port: Annotated[int, typer.Option(help="MLLP port")] = 2575,
    host: Annotated[
        str | None, typer.Option(help="Address (default NUTRIVISION_MLLP_HOST)")
    ] = None,
    processes: Annotated[int, typer.Option(min=1, help="Listening processes")] = 1,
    workers: Annotated[
        int,
        typer.Option(
            min=0, help="Inbox worker processes: one writes, others stand by (0: the listener)"
        ),
    ] = 1,
) -> None:
    """Serve MLLP until interrupted; messages stored but not processed are processed first.
    With several processes, each accepts connections on the same port (SO_REUSEPORT). With
    ACKs on storing (``NUTRIVISION_MLLP_ACK=stored``), ``--workers`` processes write them."""
    from fhir_server.cli import services

    settings = _settings()
    with services(settings) as urls:
        migrate.upgrade(urls.database_url)
        group = processes > 1
        inline = settings.mllp_ack == "processed" or workers == 0
        spawn = multiprocessing.get_context("spawn")
        listen_args = (urls.database_url, port, host, False, group, inline)
        others = [spawn.Process(target=_listen, args=listen_args) for _ in range(processes - 1)]
        if not inline:
            others += [
                spawn.Process(target=_work, args=(urls.database_url,)) for _ in range(workers)
            ]
        for process in others:
            process.start()
        try:
            _listen(urls.database_url, port, host, True, group, inline)
        finally:
            for process in others:  # unfinished messages stay stored: the next start does them
                process.terminate()
                process.join(timeout=10)


@dead_letters_app.command("list")
def dead_letters_list(
    limit: Annotated[int, typer.Option(help="How many, newest first")] = 50,
    replayed: Annotated[bool, typer.Option(help="Include replayed ones")] = False,
) -> None:
    """List dead letters: id, when, ACK code, where, why."""

    async def work(flow: Hl7Processor) -> None:
        for letter in await flow.inbox.dead_letters(limit, replayed):
            done = f" replayed:{letter.replay_result}" if letter.replayed_at else ""
            typer.echo(
                f"{letter.id}\t{letter.received_at.isoformat()}\t{letter.ack_code}\t"
                f"{letter.location}\t{letter.reason}{done}"
            )

    _with_processor(work)


@dead_letters_app.command("replay")
def dead_letters_replay(
    ids: Annotated[list[int], typer.Argument(help="Dead-letter ids to receive again")],
) -> None:
    """Receive dead letters again (after fixing the cause); exit 1 if one is not AA."""

    async def work(flow: Hl7Processor) -> bool:
        ok = True
        for id_ in ids:
            outcome = await flow.replay(id_)
            code = outcome.code if outcome else "unknown id"
            ok = ok and outcome is not None and outcome.code == "AA"
            typer.echo(f"{id_}\t{code}")
        return ok

    if not _with_processor(work):
        raise typer.Exit(1)
