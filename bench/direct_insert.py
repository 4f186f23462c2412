"""The create ceiling: the server's rows for a new Patient inserted directly with psycopg.

Each client holds one connection and loops: BEGIN; INSERT resource; INSERT resource_version
(the JSON body with id and meta, as the server stores it); COMMIT. Clients run on one asyncio
loop; the runner starts one process per server worker so the client is not one core's worth.
Only inserts that finish inside the measured window count; all processes share the window
through ``--start-at`` (a wall-clock instant), so their counts add up.

Run alone: ``python -m bench.direct_insert --database-url URL --connections 8 --duration 10``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg

PATIENT_JSON = Path(__file__).parent / "data" / "patient.json"
TAIL_S = 1.0
INSERT_RESOURCE = (
    "INSERT INTO resource (resource_type, id, version_id, last_updated, deleted)"
    " VALUES ('Patient', %s, 1, %s, false)"
)
INSERT_VERSION = (
    "INSERT INTO resource_version"
    " (resource_type, id, version_id, last_updated, method, deleted, body)"
    " VALUES ('Patient', %s, 1, %s, 'POST', false, %s)"
)


@dataclass
class Window:
    """The measured interval, in ``time.time()`` seconds."""

    start: float
    end: float


@dataclass
class Tally:
    """Inserts finished inside the window and their latencies in microseconds."""

    latencies_us: list[int] = field(default_factory=list)
    cpu_s: float = 0.0


def stored_body(template: dict[str, Any], id_: str, at: datetime) -> bytes:
    """The body as the server stores it: resourceType, id, meta first, then the rest."""
    meta = {"versionId": "1", "lastUpdated": at.isoformat().replace("+00:00", "Z")}
    rest = {k: v for k, v in template.items() if k not in ("resourceType", "id", "meta")}
    return orjson.dumps({"resourceType": "Patient", "id": id_, "meta": meta, **rest})


async def _client(url: str, template: dict[str, Any], window: Window, tally: Tally) -> None:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        # Inserting on past the window keeps the backends alive until the runner has read
        # their CPU time; those inserts are not counted.
        while (began := time.time()) < window.end + TAIL_S:
            id_, at = str(uuid.uuid4()), datetime.now(UTC)
            async with conn.transaction():
                await conn.execute(INSERT_RESOURCE, (id_, at))
                await conn.execute(INSERT_VERSION, (id_, at, stored_body(template, id_, at)))
            finished = time.time()
            if window.start <= began and finished <= window.end:
                tally.latencies_us.append(int((finished - began) * 1e6))


async def insert_for(url: str, connections: int, window: Window) -> Tally:
    """Run ``connections`` clients until the window closes."""
    template = orjson.loads(PATIENT_JSON.read_bytes())
    tally = Tally()
    async with asyncio.TaskGroup() as group:
        for _ in range(connections):
            group.create_task(_client(url, template, window, tally))
        group.create_task(_meter_cpu(window, tally))
    return tally


async def _meter_cpu(window: Window, tally: Tally) -> None:
    """This process's CPU seconds inside the window (all clients share the process)."""
    await asyncio.sleep(max(0.0, window.start - time.time()))
    began = time.process_time()
    await asyncio.sleep(max(0.0, window.end - time.time()))
    tally.cpu_s = time.process_time() - began


def main(argv: list[str] | None = None) -> None:
    """Print one JSON object: inserts, window and CPU seconds, latencies (microseconds)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database-url", required=True, help="libpq URL")
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")
    parser.add_argument("--start-at", type=float, default=None, help="time.time() to begin")
    args = parser.parse_args(argv)
    begin = (args.start_at or time.time()) + args.warmup
    window = Window(begin, begin + args.duration)
    tally = asyncio.run(insert_for(args.database_url, args.connections, window))
    report = {"inserts": len(tally.latencies_us), "window_s": args.duration, "cpu_s": tally.cpu_s}
    sys.stdout.buffer.write(orjson.dumps({**report, "latencies_us": tally.latencies_us}))


if __name__ == "__main__":
    main()
