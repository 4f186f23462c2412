"""``$reindex`` throughput: resources re-extracted and their index rows replaced, per second.

Seeds Observations by COPY (``bench.bulk.seed``), starts the server in this process, POSTs a
custom SearchParameter on Observation and times ``Observation/$reindex?url=...`` from kick-off
to the end of the job (the job's own figure, batches only, is printed too); ``--every``
reindexes every parameter of the type instead of the one named. Short by default:

    python -m bench.reindex --resources 5000 --batch 500 [--every]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from bench.bulk import seed
from fhir_server.db import migrate
from fhir_server.embedded import EmbeddedServices
from fhir_server.http.app import create_app
from fhir_server.settings import Settings

PARAMETER = {
    "resourceType": "SearchParameter",
    "url": "http://example.org/fhir/SearchParameter/heart-rate-unit",
    "name": "HeartRateUnit",
    "status": "active",
    "description": "The unit of a quantity value",
    "code": "value-unit",
    "base": ["Observation"],
    "type": "token",
    "expression": "Observation.value.ofType(Quantity).code",
}


def reindex_rate(
    urls: object, data_dir: Path, count: int, batch: int, *, every: bool
) -> tuple[float, float]:
    """Kick-off-to-done resources/s, and the job's batches-only resources/s."""
    settings = Settings(
        data_dir=data_dir, jobs_poll_seconds=0.05, reindex_batch=batch, auth_required=False
    )
    app = create_app(settings, urls.database_url, urls.redis_url)  # type: ignore[attr-defined]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/fhir", timeout=120) as http:
            assert http.post("/SearchParameter", json=PARAMETER).status_code == 201
            started = time.perf_counter()
            named = {} if every else {"url": PARAMETER["url"]}
            kick = http.post("/Observation/$reindex", params=named)
            status = kick.headers["Content-Location"]
            while (poll := http.get(status)).status_code == 202:
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            result = {p["name"]: p for p in poll.json()["parameter"]}
            assert result["reindexed"]["valueInteger"] == count, result
            found = http.get("/Observation?value-unit=/min&_summary=count").json()["total"]
            assert found == count, found
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return count / elapsed, float(result["resourcesPerSecond"]["valueDecimal"])


def main() -> None:
    """Seed, reindex, print the rates."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=5000, help="Observations to reindex")
    parser.add_argument("--batch", type=int, default=500, help="resources per transaction")
    parser.add_argument("--every", action="store_true", help="every parameter, not one url")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="nutrivision-reindex-bench-") as folder,
        EmbeddedServices(Path(folder) / "data") as urls,
    ):
        migrate.upgrade(urls.database_url)
        seconds = seed(urls.database_url, args.resources)
        print(f"seeded {args.resources} Observations by COPY in {seconds:.1f} s")
        data = Path(folder) / "data"
        overall, batches = reindex_rate(urls, data, args.resources, args.batch, every=args.every)
        what = "every parameter" if args.every else "one parameter (url)"
        print(f"$reindex of {args.resources}, {what}, batch {args.batch}: {overall:,.0f} /s")
        print(f"  the job's batches alone: {batches:,.0f} resources/s")


if __name__ == "__main__":
    main()
