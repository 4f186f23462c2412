"""Bulk data throughput: NDJSON import (the loader behind ``nutrivision import``) and
``$export`` (kick-off to manifest, then download), in resources/s, plus the server process's
peak RSS during the export.

Everything runs on an embedded PostgreSQL under a temporary folder; the server runs in this
process (uvicorn in a thread) so its memory is this process's. Short by default:

    python -m bench.bulk --resources 300 --export 100000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvicorn

from fhir_server.auth_cli import disable_auth
from fhir_server.bulk.loader import Loader
from fhir_server.db import migrate
from fhir_server.db.engine import create_engine
from fhir_server.embedded import EmbeddedServices
from fhir_server.http.app import create_app
from fhir_server.keys_cli import prepare_keys
from fhir_server.settings import Settings
from fhir_server.store.fast_reads import FastReader
from fhir_server.store.resource_store import PostgresResourceStore
from resources.search.registry import default_registry


def observation(n: int) -> dict[str, Any]:
    """A small vital-signs Observation with an id of its own."""
    return {
        "resourceType": "Observation",
        "id": f"obs-{n}",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": f"Patient/p{n % 100}"},
        "effectiveDateTime": f"2024-01-{1 + n % 28:02d}T10:00:00Z",
        "valueQuantity": {
            "value": 60 + n % 40,
            "unit": "/min",
            "system": "http://unitsofmeasure.org",
            "code": "/min",
        },
    }


async def import_rate(database_url: str, count: int, batch: int) -> float:
    """Load ``count`` Observations as NDJSON lines; resources/s."""
    engine = create_engine(database_url, 4)
    reader = FastReader(database_url, 2)
    await reader.open()
    loader = Loader(PostgresResourceStore(engine, reader), default_registry(), "http://bench/fhir")
    lines = [(n + 1, json.dumps(observation(n)).encode()) for n in range(count)]
    started = time.perf_counter()
    try:
        for start in range(0, count, batch):
            loaded = await loader.lines(lines[start : start + batch])
            assert not loaded.errors, loaded.errors[:1]
    finally:
        await reader.close()
        await engine.dispose()
    return count / (time.perf_counter() - started)


def export_rate(urls: Any, data_dir: Path, count: int) -> tuple[float, float, int]:
    """Export the Observations through the API: resources/s to the manifest, with the
    download, and the peak RSS (kB) of this process (server included)."""
    settings = disable_auth(Settings(data_dir=data_dir, jobs_poll_seconds=0.05), "127.0.0.1")
    app = create_app(settings, urls.database_url, urls.redis_url)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/fhir", timeout=120) as http:
            started = time.perf_counter()
            kick = http.get("/$export?_type=Observation", headers={"Prefer": "respond-async"})
            status = kick.headers["Content-Location"]
            while (poll := http.get(status)).status_code == 202:
                time.sleep(0.05)
            written = time.perf_counter() - started
            total = 0
            for output in poll.json()["output"]:
                with http.stream("GET", output["url"]) as response:
                    total += sum(chunk.count(b"\n") for chunk in response.iter_bytes())
            downloaded = time.perf_counter() - started
            assert total == count, (total, count)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return count / written, count / downloaded, peak


def seed(database_url: str, count: int) -> float:
    """Write ``count`` Observations straight into the resource tables with COPY (no search
    index: a system-level export does not read it); seconds taken."""
    at = datetime.now(UTC)
    stamp = at.isoformat()
    started = time.perf_counter()
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        with conn.cursor().copy(
            "COPY resource (resource_type, id, version_id, last_updated, deleted) FROM STDIN"
        ) as copy:
            for n in range(count):
                copy.write_row(("Observation", f"seed-{n}", 1, at, False))
        with conn.cursor().copy(
            "COPY resource_version (resource_type, id, version_id, last_updated, method,"
            " deleted, body) FROM STDIN"
        ) as copy:
            for n in range(count):
                body = observation(n) | {
                    "id": f"seed-{n}",
                    "meta": {"versionId": "1", "lastUpdated": stamp},
                }
                copy.write_row(
                    ("Observation", f"seed-{n}", 1, at, "PUT", False, json.dumps(body).encode())
                )
    return time.perf_counter() - started


def main() -> None:
    """Run both measurements and print one line each."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=300, help="Observations to import")
    parser.add_argument("--batch", type=int, default=100, help="NDJSON lines per transaction")
    parser.add_argument("--export", type=int, default=100_000, help="Observations to export")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="nutrivision-bulk-bench-") as folder,
        EmbeddedServices(Path(folder) / "data") as urls,
    ):
        migrate.upgrade(urls.database_url)
        prepare_keys(Settings(data_dir=Path(folder) / "data"), urls.database_url)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rate = asyncio.run(import_rate(urls.database_url, args.resources, args.batch))
        print(f"import: {args.resources} Observations, batch {args.batch}: {rate:,.0f} resources/s")
        seeded = args.export - args.resources
        print(f"seeded {seeded} Observations by COPY in {seed(urls.database_url, seeded):.1f} s")
        written, downloaded, peak = export_rate(urls, Path(folder) / "data", args.export)
        print(f"$export of {args.export}: {written:,.0f} resources/s to the manifest")
        print(f"$export with the download: {downloaded:,.0f} resources/s")
        print(
            f"peak RSS of the process: {peak / 1024:,.0f} MiB (before the runs: {before:,.0f} MiB)"
        )


if __name__ == "__main__":
    main()
