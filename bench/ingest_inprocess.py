"""Transaction-Bundle ingest in this process: CPU per resource without HTTP, JSON or clients.

The Synthea transaction Bundles go through ``Loader.bundle`` (the code ``POST [base]`` runs
for a transaction) on the store every entry point opens (``open_store``: PHI keys, the safety
re-check and audit write hooks), on an embedded PostgreSQL. One warm-up Bundle, then the
first ``--limit`` Bundles are loaded ``--rounds`` times. Printed: resources/s and this
process's CPU per resource (PostgreSQL's own CPU is not counted).

    python -m bench.ingest_inprocess [--limit 4] [--rounds 2] [--bundles FOLDER]
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

import orjson
from pydantic import SecretStr

from bench.ingest import SYNTHEA
from fhir_server.bulk.loader import Loader
from fhir_server.composition import open_store
from fhir_server.db import migrate
from fhir_server.embedded import EmbeddedServices
from fhir_server.settings import Settings
from resources.search.registry import default_registry


async def load(database_url: str, data_dir: Path, bundles: list[Any], rounds: int) -> str:
    """Load the Bundles ``rounds`` times after one warm-up; one line of figures."""
    key = SecretStr(base64.b64encode(os.urandom(32)).decode())
    settings = Settings(data_dir=data_dir, auth_required=False, master_key=key)
    async with open_store(settings, database_url, 4) as opened:
        loader = Loader(opened.store, default_registry(), "http://localhost/fhir")
        await loader.bundle(orjson.loads(bundles[0]))
        count, cpu, wall = 0, time.process_time(), time.perf_counter()
        for _ in range(rounds):
            for text in bundles:
                count += (await loader.bundle(orjson.loads(text))).resources
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return (
        f"{count / wall:7.1f} resources/s, CPU per resource {cpu / count * 1e3:.2f} ms "
        f"({count} resources in {wall:.1f} s)"
    )


def main() -> None:
    """Start PostgreSQL, migrate, load, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bundles", type=Path, default=SYNTHEA, help="folder of Bundles")
    parser.add_argument("--limit", type=int, default=4, help="Bundles per round (first by name)")
    parser.add_argument("--rounds", type=int, default=2, help="times each Bundle is loaded")
    args = parser.parse_args()
    bundles = [p.read_bytes() for p in sorted(args.bundles.glob("*.json"))[: args.limit]]
    if not bundles:
        raise SystemExit(f"no Bundles under {args.bundles}")
    with (
        tempfile.TemporaryDirectory(prefix="nutrivision-ingest-bench-") as name,
        EmbeddedServices(Path(name) / "services") as urls,
    ):
        migrate.upgrade(urls.database_url)
        print(asyncio.run(load(urls.database_url, Path(name), bundles, args.rounds)))


if __name__ == "__main__":
    main()
