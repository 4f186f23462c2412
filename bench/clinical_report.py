"""Time to build ``Patient/[id]/$clinical-report`` in each format for 30 and 90 days of logs
(three NutritionIntakes a day, labs, alerts, an enriched Synthea patient), over HTTP on the
real server (embedded PostgreSQL), and the peak Python memory of one build.

``python -m bench.clinical_report [--runs 10]`` prints p50 and max per format and period. The
server runs in a thread of this process (as in the tests); memory is traced (tracemalloc) in
separate runs, as tracing slows the timed ones.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import httpx

from fhir_server.settings import Settings
from tests.integration.report.world import World, build_world, store
from tests.servers import backing_services, running_server

FORMATS = (
    ("fhir", "application/fhir+json"),
    ("pdf", "application/pdf"),
    ("hl7", "x-application/hl7-v2+er7"),
)


def build(client: httpx.Client, world: World, days: int, kind: str, accept: str) -> int:
    """One report of the last ``days`` days; its size in bytes."""
    response = client.get(
        f"/Patient/{world.patient_id}/$clinical-report",
        params={"period": f"{days}_days", "format": kind},
        headers={"Accept": accept},
    )
    assert response.status_code == 200, response.text[:500]
    return len(response.content)


def measure(client: httpx.Client, world: World, days: int, runs: int) -> None:
    """Print p50, max, size and peak memory per format."""
    for kind, accept in FORMATS:
        build(client, world, days, kind, accept)  # warm-up: fonts, food base, ICD-10-CM
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            size = build(client, world, days, kind, accept)
            timings.append((time.perf_counter() - started) * 1000)
        tracemalloc.start()
        build(client, world, days, kind, accept)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"{days:>3} days {kind:<5} p50={statistics.median(timings):7.1f} ms  "
            f"max={max(timings):7.1f} ms  size={size / 1024:7.1f} KiB  "
            f"peak={peak / 2**20:6.1f} MiB"
        )


def main() -> None:
    """Start the server, store 90 days of data, measure both periods."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    with (
        tempfile.TemporaryDirectory(prefix="nv-bench-") as data_dir,
        backing_services(Path(data_dir), check_stored=False) as urls,
        running_server(urls, Settings(data_dir=Path(data_dir), auth_required=False)) as base,
        httpx.Client(base_url=base, timeout=120) as client,
    ):
        world, resources = build_world(90)
        store(client, resources)
        print(f"{world.logs} NutritionIntakes over 90 days, {len(resources)} resources")
        for days in (30, 90):
            measure(client, world, days, runs)


if __name__ == "__main__":
    main()
