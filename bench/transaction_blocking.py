"""How long a large transaction Bundle delays small requests running beside it.

A server (``nutrivision serve``, 1 or 2 workers) on an embedded PostgreSQL. For each worker
count, small requests (a read of one Patient, a create of one Observation, one after the
other on one connection) are timed twice: alone, then while another connection posts
transaction Bundles of ``--entries`` Observations back to back. Printed per phase: p50/p99/max
of the small requests and the large transactions' own duration.

    python -m bench.transaction_blocking --entries 500 --seconds 15
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.bulk import observation
from bench.served import serve
from fhir_server.embedded import EmbeddedServices, ServiceUrls


@contextmanager
def serving(urls: ServiceUrls, folder: Path, workers: int) -> Iterator[str]:
    """The server's FHIR base URL while it runs with ``workers`` processes."""
    child, port = serve(urls, folder, workers, {"NUTRIVISION_MAX_BUNDLE_ENTRIES": "100000"})
    try:
        yield f"http://127.0.0.1:{port}/fhir"
    finally:
        child.stop()


def bundle(entries: int, offset: int) -> dict[str, Any]:
    """A transaction of ``entries`` Observation creates."""
    items = []
    for n in range(entries):
        resource = observation(offset + n)
        resource.pop("id")
        items.append({"resource": resource, "request": {"method": "POST", "url": "Observation"}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": items}


def small_requests(base: str, patient: str, seconds: float) -> list[float]:
    """Alternate a read and a create for ``seconds``; each request's latency in ms."""
    latencies: list[float] = []
    created = observation(0) | {"subject": {"reference": f"Patient/{patient}"}}
    created.pop("id")
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=base, timeout=120) as http:
        while time.monotonic() < deadline:
            for method, url, body in (
                ("GET", f"/Patient/{patient}", None),
                ("POST", "/Observation", created),
            ):
                started = time.perf_counter()
                response = http.request(method, url, json=body)
                latencies.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
    return latencies


def large_transactions(base: str, entries: int, stop: threading.Event, took: list[float]) -> None:
    """Post transaction Bundles back to back until ``stop``; each one's duration in ms."""
    with httpx.Client(base_url=base, timeout=600) as http:
        offset = 0
        while not stop.is_set():
            started = time.perf_counter()
            response = http.post("", json=bundle(entries, offset))
            response.raise_for_status()
            took.append((time.perf_counter() - started) * 1000)
            offset += entries


def summary(latencies: list[float]) -> str:
    """p50, p99 and max in ms."""
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"n={len(ordered)} p50 {statistics.median(ordered):.1f} ms, p99 {p99:.1f} ms,"
        f" max {ordered[-1]:.1f} ms"
    )


def measure(base: str, entries: int, seconds: float) -> None:
    """Both phases against one running server."""
    with httpx.Client(base_url=base, timeout=60) as http:
        response = http.post("/Patient", json={"resourceType": "Patient", "gender": "female"})
        response.raise_for_status()
        patient = response.json()["id"]
    print(f"  small requests alone:        {summary(small_requests(base, patient, seconds))}")
    stop, took = threading.Event(), list[float]()
    loader = threading.Thread(target=large_transactions, args=(base, entries, stop, took))
    loader.start()
    time.sleep(1.0)  # the first Bundle is being processed when the timing starts
    try:
        beside = small_requests(base, patient, seconds)
    finally:
        stop.set()
        loader.join()
    print(f"  small requests beside Bundles: {summary(beside)}")
    print(f"  {entries}-entry transactions:   {summary(took)}")


def main() -> None:
    """Run both phases at each worker count."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=500, help="entries per large Bundle")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each phase")
    parser.add_argument("--workers", default="1,2", help="server worker counts")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="nutrivision-tx-bench-") as name,
        EmbeddedServices(Path(name) / "services") as urls,
    ):
        for workers in (int(w) for w in args.workers.split(",")):
            with serving(urls, Path(name), workers) as base:
                print(f"{workers} worker(s), load average {Path('/proc/loadavg').read_text()[:14]}")
                measure(base, args.entries, args.seconds)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
