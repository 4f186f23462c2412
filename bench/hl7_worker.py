"""The inbox worker alone, in this process: messages written per second, CPU and statements
per message, with one message per transaction and with several.

Messages are ``bench.hl7_mllp``'s (an ADT^A01 and an ORU^R01 alternating, one patient in
20 new), stored in the inbox as the listener stores them (answered AA), then written by an
``InboxWorker`` until the inbox is empty, on the store every entry point opens (safety
re-check and audit write hooks), on an embedded PostgreSQL. Each round stores ``--messages``
new ones and drains them with a given number of messages per transaction; the rounds
alternate the sizes given (``--sizes 1,20``), after one warm-up round. CPU is this
process's (PostgreSQL's is not counted).

    python -m bench.hl7_worker [--messages 120] [--rounds 2] [--sizes 1,20]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import event

from bench.hl7_mllp import adt, oru
from fhir_server.composition import open_store
from fhir_server.db import migrate
from fhir_server.embedded import EmbeddedServices
from fhir_server.mllp.inbox import NewMessage
from fhir_server.mllp.runtime import processor
from fhir_server.mllp.worker import InboxWorker
from fhir_server.settings import Settings
from operations.hl7v2.er7 import parse


class Count:
    """Statements sent while ``on``."""

    def __init__(self) -> None:
        self.statements = 0
        self.on = False

    def __call__(self, *_args: Any) -> None:
        if self.on:
            self.statements += 1


async def _store(flow: Any, start: int, count: int) -> None:
    rows = []
    for n in range(start, start + count):
        text = (adt if n % 2 == 0 else oru)(n, False).decode()
        message = parse(text)
        kind = f"{message.message_code}^{message.trigger}"
        rows.append(NewMessage("BENCHFAC", message.control_id, kind, message.text, "b", ack="AA"))
    await flow.inbox.store_many(rows)


async def _drain(worker: InboxWorker) -> None:
    while await worker.run_once():
        pass


async def measure(
    database_url: str, data_dir: Path, messages: int, rounds: int, sizes: list[int]
) -> str:
    """A warm-up round, then ``rounds`` rounds of each size, alternating; one line each."""
    key = SecretStr(base64.b64encode(os.urandom(32)).decode())
    settings = Settings(data_dir=data_dir, auth_required=False, master_key=key)
    lines = []
    async with open_store(settings, database_url, 8) as opened:
        flow = processor(opened.engine, opened.store, settings)
        count = Count()
        event.listen(opened.engine.sync_engine, "before_cursor_execute", count)
        start = 0
        for round_ in range(rounds + 1):
            for size in sizes:
                worker = InboxWorker(flow, size, sole=False)
                await _store(flow, start, messages)
                start += messages
                count.statements, count.on = 0, True
                cpu, wall = time.process_time(), time.perf_counter()
                await _drain(worker)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                count.on = False
                if round_ == 0:
                    continue  # warm-up
                lines.append(
                    f"{size:>3} per transaction: {messages / wall:.1f} messages/s, CPU "
                    f"{cpu / messages * 1e3:.1f} ms/message, "
                    f"{count.statements / messages:.1f} statements/message, "
                    f"load {os.getloadavg()[0]:.2f}"
                )
    return "\n".join(lines)


def main() -> None:
    """Start PostgreSQL, migrate, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=120, help="messages per round")
    parser.add_argument("--rounds", type=int, default=2, help="measured rounds per size")
    parser.add_argument("--sizes", default="1,20", help="messages per transaction")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with (
        tempfile.TemporaryDirectory(prefix="nv-hl7-worker-") as name,
        EmbeddedServices(Path(name) / "services") as urls,
    ):
        migrate.upgrade(urls.database_url)
        run = measure(urls.database_url, Path(name), args.messages, args.rounds, sizes)
        figures = asyncio.run(run)
    print(f"cores: {os.cpu_count()}")
    print(figures)


if __name__ == "__main__":
    main()
