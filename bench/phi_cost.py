"""The cost of PHI protection: read-by-id, create and a name search, encrypted and plain.

Two servers run side by side on one embedded PostgreSQL, each on a database of its own: one
with PHI protection (sealed bodies, blind indexes), one with ``NUTRIVISION_PHI_PROTECTION=false``.
Requests alternate between them in blocks, so a change in the machine's load hits both alike.
Reported per operation: median latency of each, and the CPU time per request of each server
process (the steadier figure on a shared machine). About 20 s.

    python -m bench.phi_cost [--rounds 6] [--block 25]
"""

from __future__ import annotations

import argparse
import base64
import copy
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
import psycopg

from bench.processes import Child, free_port, wait_ready
from fhir_server.db import migrate
from fhir_server.embedded import EmbeddedServices
from tests.integration.phi.phi_data import libpq
from tests.servers import fresh_database

REPO = Path(__file__).resolve().parent.parent
PATIENT = orjson.loads((REPO / "bench" / "data" / "patient.json").read_bytes())
OPS = ("read", "create", "search")
SCALE = {"create": 1, "read": 3, "search": 1}
"""Blocks of reads are longer: a read costs little CPU, and CPU time is counted in ticks."""


@dataclass
class Server:
    """One running server: its client, its process, and what it was measured at."""

    name: str
    client: httpx.Client
    process: psutil.Process
    postgres: list[psutil.Process]
    ids: list[str] = field(default_factory=list)
    latency: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    db_cpu: dict[str, float] = field(default_factory=dict)
    count: dict[str, int] = field(default_factory=dict)


def _patient(n: int) -> dict[str, Any]:
    body = copy.deepcopy(PATIENT)
    body["name"][0]["family"] = f"Chalmers{n:05d}"
    return body


def _start(name: str, database_url: str, redis_url: str, protected: bool, log: Path) -> Child:
    migrate.upgrade(database_url)
    port = free_port()
    env = {
        **os.environ,
        "NUTRIVISION_DATABASE_URL": database_url,
        "NUTRIVISION_REDIS_URL": redis_url,
        "NUTRIVISION_PHI_PROTECTION": "true" if protected else "false",
        "NUTRIVISION_AUTH_REQUIRED": "false",  # the figure is PHI protection's, not the token's
        "NUTRIVISION_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
    }
    argv = [sys.executable, "-m", "uvicorn", "fhir_server.asgi:create", "--factory",
            "--port", str(port), "--log-level", "warning"]  # fmt: skip
    child = Child(name, argv, env, REPO, log)
    child.port = port  # type: ignore[attr-defined]
    return child


@contextmanager
def _serving(child: Child, postgres: list[psutil.Process]) -> Iterator[Server]:
    try:
        port: int = child.port  # type: ignore[attr-defined]
        wait_ready(child, port, "/fhir/metadata")
        headers = {"Content-Type": "application/fhir+json"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/fhir", headers=headers) as client:
            yield Server(child.name, client, psutil.Process(child.pid), postgres)
    finally:
        child.stop()


def _request(server: Server, op: str, n: int) -> None:
    if op == "create":
        response = server.client.post("/Patient", content=orjson.dumps(_patient(n)))
        server.ids.append(response.json()["id"])
    elif op == "read":
        response = server.client.get(f"/Patient/{server.ids[n % len(server.ids)]}")
    else:
        response = server.client.get(
            "/Patient", params={"family": f"chalmers{n % len(server.ids):05d}"}
        )
    if response.status_code >= 300:
        raise RuntimeError(f"{server.name} {op}: {response.status_code} {response.text[:200]}")


def _cpu(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
            for child in process.children(recursive=True):
                times = child.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            continue  # a backend that ended: its time is lost to both sides alike
    return total


def _block(server: Server, op: str, start: int, size: int) -> None:
    cpu, db = _cpu([server.process]), _cpu(server.postgres)
    for n in range(start, start + size):
        began = time.perf_counter()
        _request(server, op, n)
        server.latency.setdefault(op, []).append(time.perf_counter() - began)
    server.cpu[op] = server.cpu.get(op, 0.0) + _cpu([server.process]) - cpu
    server.db_cpu[op] = server.db_cpu.get(op, 0.0) + _cpu(server.postgres) - db
    server.count[op] = server.count.get(op, 0) + size


def _postmaster(database_url: str) -> psutil.Process:
    """PostgreSQL's postmaster: the parent of every backend, whose CPU is the database's."""
    with psycopg.connect(libpq(database_url)) as conn:  # the backend lives while it is open
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
        assert row is not None
        parent = psutil.Process(row[0]).parent()
    assert parent is not None
    return parent


def measure(
    servers: list[Server], rounds: int, block: int, progress: Callable[[str], None]
) -> None:
    """Alternate blocks of each operation between the servers (creates first: they seed)."""
    for server in servers:
        for n in range(50):  # warm-up and seed, not measured
            _request(server, "create", 100_000 + n)
    for op in ("create", "read", "search"):
        size = block * SCALE[op]
        for r in range(rounds):
            for server in servers if r % 2 == 0 else reversed(servers):
                _block(server, op, r * size, size)
        progress(f"{op} done")


def report(servers: list[Server]) -> str:
    """A Markdown table: per operation, median ms and CPU µs/request of each, and the cost."""
    plain, sealed = servers
    lines = [
        "| Operation | p50 ms plain | p50 ms encrypted | CPU µs/req app + db plain"
        " | CPU µs/req app + db encrypted | cost p50 | cost CPU app + db |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for op in OPS:
        p50 = [statistics.median(s.latency[op]) * 1000 for s in (plain, sealed)]
        app = [s.cpu[op] / s.count[op] * 1e6 for s in (plain, sealed)]
        db = [s.db_cpu[op] / s.count[op] * 1e6 for s in (plain, sealed)]
        total = [a + d for a, d in zip(app, db, strict=True)]
        lines.append(
            f"| {op} | {p50[0]:.2f} | {p50[1]:.2f} | {app[0]:,.0f} + {db[0]:,.0f}"
            f" | {app[1]:,.0f} + {db[1]:,.0f} | {p50[1] / p50[0] - 1:+.0%}"
            f" | {total[1] / total[0] - 1:+.0%} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Start PostgreSQL, both servers, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--block", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nutrivision-phi-bench-") as root, ExitStack() as stack:
        services = EmbeddedServices(Path(root) / "data")
        urls = stack.enter_context(services)
        postmaster = _postmaster(urls.database_url)
        children = []
        for name, protected in (("plain", False), ("encrypted", True)):
            url = stack.enter_context(fresh_database(urls.database_url, check_stored=False))
            log = Path(root) / f"{name}.log"
            children.append(_start(name, url, urls.redis_url, protected, log))
        servers = [stack.enter_context(_serving(c, [postmaster])) for c in children]
        measure(servers, args.rounds, args.block, lambda line: print(line, file=sys.stderr))
        print(report(servers))


if __name__ == "__main__":
    main()
