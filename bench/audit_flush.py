"""The audit trail's own CPU cost per event, without HTTP: building read events and
appending them, sealed, to the chain (what the flusher does), on an embedded PostgreSQL.

    python -m bench.audit_flush [--events 2000] [--rounds 3]

Prints CPU microseconds per event of this process (``time.process_time``) for each step.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from fhir_server.audit.chain import append_sealed
from fhir_server.audit.events import Actor, EventFacts, build_event
from fhir_server.db import migrate
from fhir_server.db.engine import create_engine
from fhir_server.embedded import EmbeddedServices


async def _run(database_url: str, events: int, rounds: int) -> None:
    engine = create_engine(database_url, 2)
    actor = Actor("bench-client", "user-1", "Practitioner/1", "127.0.0.1", "jti")
    facts = EventFacts("read", actor, 200, ("Patient/abc",), None, "abc")
    try:
        for _ in range(rounds):
            started = time.process_time()
            rows = [build_event(facts) for _ in range(events)]
            built = time.process_time()
            async with engine.begin() as conn:
                await append_sealed(conn, rows)
            done = time.process_time()
            build_us = (built - started) / events * 1e6
            append_us = (done - built) / events * 1e6
            print(
                f"{events} events: build {build_us:5.0f} us/event, append {append_us:5.0f} us/event"
            )
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="nv-bench-audit-flush-") as tmp,
        EmbeddedServices(Path(tmp)) as urls,
    ):
        migrate.upgrade(urls.database_url)
        asyncio.run(_run(urls.database_url, args.events, args.rounds))


if __name__ == "__main__":
    main()
