"""Ingest in this process: CPU per resource without HTTP, JSON or clients.

The Synthea transaction Bundles go through ``Loader.bundle`` (the code ``POST [base]`` runs
for a transaction) on the store every entry point opens (``open_store``: PHI keys, the safety
re-check and audit write hooks), on an embedded PostgreSQL. One warm-up Bundle, then the
first ``--limit`` Bundles are loaded ``--rounds`` times. With ``--ndjson N``, N Observations
with ids of their own (``bench.bulk.observation``) go through ``Loader.stream`` 100 lines at a
time instead (the code of ``$import`` and ``nutrivision import``: PUTs to their ids), with
``--workers`` processes preparing the lines (0: all in this process).
Printed: resources/s and the CPU per resource of this process and its workers (PostgreSQL's
is not counted).

    python -m bench.ingest_inprocess [--limit 4] [--rounds 2] [--bundles FOLDER] [--ndjson N]
        [--workers N]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import resource
import tempfile
import time
from pathlib import Path

import orjson
from pydantic import SecretStr

from bench.bulk import observation
from bench.ingest import SYNTHEA
from fhir_server.bulk.loader import Loader
from fhir_server.composition import open_store
from fhir_server.db import migrate
from fhir_server.embedded import EmbeddedServices
from fhir_server.settings import Settings
from resources.search.registry import default_registry

BATCH = 100
"""NDJSON lines per transaction (``bench.bulk``'s default)."""


async def _bundles(loader: Loader, bundles: list[bytes], rounds: int) -> int:
    count = 0
    for _ in range(rounds):
        for text in bundles:
            count += (await loader.bundle(orjson.loads(text))).resources
    return count


async def _lines(loader: Loader, count: int) -> int:
    lines = [(n + 1, orjson.dumps(observation(n))) for n in range(count)]
    batches = ((start, lines[start : start + BATCH]) for start in range(0, count, BATCH))
    async for _, loaded in loader.stream(batches):
        assert not loaded.errors, loaded.errors[:1]
    return count


def _children_cpu() -> float:
    """CPU seconds of this process's ended children (the loader's workers, once closed)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def load(
    database_url: str,
    data_dir: Path,
    bundles: list[bytes],
    rounds: int,
    ndjson: int,
    workers: int = 0,
) -> str:
    """Load the Bundles ``rounds`` times (or ``ndjson`` lines) after one warm-up Bundle; one
    line of figures."""
    key = SecretStr(base64.b64encode(os.urandom(32)).decode())
    settings = Settings(data_dir=data_dir, auth_required=False, master_key=key)
    async with open_store(settings, database_url, 4) as opened:
        loader = Loader(opened.store, default_registry(), "http://localhost/fhir", workers)
        await loader.bundle(orjson.loads(bundles[0]))
        await loader.lines([(0, orjson.dumps(observation(-1)))])  # workers started
        cpu, wall = time.process_time(), time.perf_counter()
        children = _children_cpu()
        if ndjson:
            count = await _lines(loader, ndjson)
        else:
            count = await _bundles(loader, bundles, rounds)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        loader.close(wait=True)  # waits for the workers: their CPU is counted as children's
        workers_cpu = _children_cpu() - children
    return (
        f"{count / wall:7.1f} resources/s, CPU per resource {(cpu + workers_cpu) / count * 1e3:.2f}"
        f" ms, of which workers {workers_cpu / count * 1e3:.2f} ms"
        f" ({count} resources in {wall:.1f} s)"
    )


def main() -> None:
    """Start PostgreSQL, migrate, load, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bundles", type=Path, default=SYNTHEA, help="folder of Bundles")
    parser.add_argument("--limit", type=int, default=4, help="Bundles per round (first by name)")
    parser.add_argument("--rounds", type=int, default=2, help="times each Bundle is loaded")
    parser.add_argument("--ndjson", type=int, default=0, help="load N NDJSON lines instead")
    parser.add_argument("--workers", type=int, default=0, help="NDJSON worker processes")
    args = parser.parse_args()
    bundles = [p.read_bytes() for p in sorted(args.bundles.glob("*.json"))[: args.limit]]
    if not bundles:
        raise SystemExit(f"no Bundles under {args.bundles}")
    with (
        tempfile.TemporaryDirectory(prefix="nutrivision-ingest-bench-") as name,
        EmbeddedServices(Path(name) / "services") as urls,
    ):
        migrate.upgrade(urls.database_url)
        print(
            asyncio.run(
                load(urls.database_url, Path(name), bundles, args.rounds, args.ndjson, args.workers)
            )
        )


if __name__ == "__main__":
    main()
