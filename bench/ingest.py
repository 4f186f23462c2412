"""Transaction-Bundle ingest of the Synthea patients: resources/s over HTTP.

A server (``nutrivision serve``, 1 and 2 workers, auth off) on an embedded PostgreSQL; the
Synthea transaction Bundles (``../shared/fixtures/synthea-r4-smart-on-fhir/bundles``, or
``--bundles FOLDER``) are posted by 1 and by 8 client threads, each thread taking the next
file. Every Bundle must answer 200, and every entry 2xx. The Bundles create (POST)
everything, so each run adds its own copy of the patients to the same database. Printed per
run: resources/s, Bundles/s and the p50/max time of one Bundle.

Before the timed runs of a server, the first ``--warmup`` Bundles are posted untimed by 4
threads, so that each worker process has built the models, search parameters and knowledge
a first Bundle needs (about a second per process); ``--warmup 0`` times a cold server.

With ``--kind batch`` each Bundle is posted as a batch instead: its entries become PUTs to
new ids (new for each run, so every run creates), the ``urn:uuid:`` references rewritten to
them, as a loader that assigns ids does (batch entries cannot name each other's fullUrls).

    python -m bench.ingest [--limit 20] [--workers 1,2] [--clients 1,8] [--kind batch]
        [--warmup 8]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

from bench.fixtures import SHARED_FIXTURES
from bench.processes import Child
from bench.served import cpu_mark, cpu_since, serve
from fhir_server.embedded import EmbeddedServices

SYNTHEA = SHARED_FIXTURES / "synthea-r4-smart-on-fhir" / "bundles"
FAILED_ENTRY = re.compile(rb'"status":"[45]')  # a batch answers 200 with failed entries
PLACEHOLDER = re.compile(rb"urn:uuid:[0-9a-fA-F-]{36}")


def as_batch(body: bytes) -> bytes:
    """A transaction Bundle as a batch of PUTs to new ids, its placeholders rewritten."""
    bundle = orjson.loads(body)
    names: dict[bytes, bytes] = {}
    for entry in bundle["entry"]:
        kind, id_ = entry["resource"]["resourceType"], str(uuid.uuid4())
        names[entry.pop("fullUrl").encode()] = f"{kind}/{id_}".encode()
        entry["resource"]["id"] = id_
        entry["request"] = {"method": "PUT", "url": f"{kind}/{id_}"}
    bundle["type"] = "batch"
    return PLACEHOLDER.sub(lambda m: names.get(m.group(0), m.group(0)), orjson.dumps(bundle))


@dataclass
class Run:
    """The files still to post, and what the posts took."""

    files: list[tuple[bytes, int]]
    took: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self) -> tuple[bytes, int] | None:
        with self.lock:
            return self.files.pop() if self.files else None


def post_all(base: str, run: Run) -> None:
    """One client thread: post the next Bundle until none is left."""
    with httpx.Client(base_url=base, timeout=600) as http:
        while (item := run.next()) is not None:
            body, _ = item
            started = time.perf_counter()
            answer = http.post("", content=body, headers={"Content-Type": "application/fhir+json"})
            with run.lock:
                run.took.append(time.perf_counter() - started)
                if answer.status_code != 200 or FAILED_ENTRY.search(answer.content):
                    run.failures.append(f"{answer.status_code}: {answer.text[:300]}")


def ingest(
    served: tuple[Child, int],
    folder: Path,
    files: list[tuple[bytes, int]],
    clients: int,
    convert: Callable[[bytes], bytes] | None = None,
) -> str:
    """Post every file (``convert`` ed first, untimed) with ``clients`` threads; one line of
    figures."""
    child, port = served
    base = f"http://127.0.0.1:{port}/fhir"
    if convert is not None:
        files = [(convert(body), count) for body, count in files]
    run = Run(list(reversed(files)))
    mark = cpu_mark(child, folder)
    started = time.perf_counter()
    threads = [threading.Thread(target=post_all, args=(base, run)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    app, db = cpu_since(child, folder, mark)
    if run.failures:
        raise SystemExit(f"{len(run.failures)} Bundles failed, first: {run.failures[0]}")
    resources = sum(count for _, count in files)
    return (
        f"{resources / seconds:7.1f} resources/s, {len(files) / seconds:5.2f} Bundles/s, "
        f"one Bundle p50 {statistics.median(run.took):.2f} s, max {max(run.took):.2f} s, "
        f"CPU per resource {app / resources * 1e3:.1f} ms server + {db / resources * 1e3:.1f} ms "
        f"PostgreSQL ({resources} resources in {seconds:.1f} s)"
    )


def read_bundles(folder: Path, limit: int) -> list[tuple[bytes, int]]:
    """The first ``limit`` Bundles of the folder (by name), with their entry counts."""
    found = []
    for path in sorted(folder.glob("*.json"))[:limit]:
        data = path.read_bytes()
        found.append((data, len(orjson.loads(data).get("entry", []))))
    return found


def main() -> None:
    """Ingest at each worker and client count."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bundles", type=Path, default=SYNTHEA, help="folder of Bundles")
    parser.add_argument("--limit", type=int, default=1000, help="Bundles per run (first by name)")
    parser.add_argument("--workers", default="1,2", help="server worker counts")
    parser.add_argument("--clients", default="1,8", help="client thread counts")
    parser.add_argument("--kind", choices=("transaction", "batch"), default="transaction")
    parser.add_argument("--warmup", type=int, default=8, help="untimed Bundles first")
    args = parser.parse_args()
    files = read_bundles(args.bundles, args.limit)
    if not files:
        raise SystemExit(f"no Bundles under {args.bundles}")
    with (
        tempfile.TemporaryDirectory(prefix="nutrivision-ingest-bench-") as name,
        EmbeddedServices(Path(name) / "services") as urls,
    ):
        folder = Path(name)
        for workers in (int(w) for w in args.workers.split(",")):
            served = serve(urls, folder, workers, {"NUTRIVISION_MAX_BUNDLE_ENTRIES": "100000"})
            convert = as_batch if args.kind == "batch" else None
            try:
                if args.warmup:
                    warm = ingest(served, folder, files[: args.warmup], 4, convert)
                    print(f"{workers} worker(s), warm-up: {warm}")
                for clients in (int(c) for c in args.clients.split(",")):
                    load = Path("/proc/loadavg").read_text()[:14]
                    figures = ingest(served, folder, files, clients, convert)
                    print(f"{workers} worker(s), {clients} client(s), load {load}: {figures}")
                    sys.stdout.flush()
            finally:
                served[0].stop()


if __name__ == "__main__":
    main()
