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

from bench.processes import Child, free_port, wait_ready
from fhir_server.db import migrate
from fhir_server.embedded import EmbeddedServices
from tests.servers import fresh_database

REPO = Path(__file__).resolve().parent.parent
PATIENT = orjson.loads((REPO / "bench" / "data" / "patient.json").read_bytes())
OPS = ("read", "create", "search")


@dataclass
class Server:
    """One running server: its client, its process, and what it was measured at."""

    name: str
    client: httpx.Client
    process: psutil.Process
    ids: list[str] = field(default_factory=list)
    latency: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    count: dict[str, int] = field(default_factory=dict)


def _patient(n: int) -> dict[str, Any]:
    body = copy.deepcopy(PATIENT)
    body["name"][0]["family"] = f"Chalmers{n:05d}"
    return body


@contextmanager
def _server(
    name: str, database_url: str, redis_url: str, protected: bool, log: Path
) -> Iterator[Server]:
    migrate.upgrade(database_url)
    port = free_port()
    env = {
        **os.environ,
        "NUTRIVISION_DATABASE_URL": database_url,
        "NUTRIVISION_REDIS_URL": redis_url,
        "NUTRIVISION_PHI_PROTECTION": "true" if protected else "false",
        "NUTRIVISION_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
    }
    argv = [sys.executable, "-m", "uvicorn", "fhir_server.asgi:create", "--factory",
            "--port", str(port), "--log-level", "warning"]  # fmt: skip
    child = Child(name, argv, env, REPO, log)
    try:
        wait_ready(child, port, "/fhir/metadata")
        headers = {"Content-Type": "application/fhir+json"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/fhir", headers=headers) as client:
            yield Server(name, client, psutil.Process(child.pid))
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


def _block(server: Server, op: str, start: int, size: int) -> None:
    cpu = server.process.cpu_times()
    for n in range(start, start + size):
        began = time.perf_counter()
        _request(server, op, n)
        server.latency.setdefault(op, []).append(time.perf_counter() - began)
    after = server.process.cpu_times()
    spent = (after.user + after.system) - (cpu.user + cpu.system)
    server.cpu[op] = server.cpu.get(op, 0.0) + spent
    server.count[op] = server.count.get(op, 0) + size


def measure(
    servers: list[Server], rounds: int, block: int, progress: Callable[[str], None]
) -> None:
    """Alternate blocks of each operation between the servers (creates first: they seed)."""
    for server in servers:
        for n in range(50):  # warm-up and seed, not measured
            _request(server, "create", 100_000 + n)
    for op in ("create", "read", "search"):
        for r in range(rounds):
            for server in servers if r % 2 == 0 else reversed(servers):
                _block(server, op, r * block, block)
        progress(f"{op} done")


def report(servers: list[Server]) -> str:
    """A Markdown table: per operation, median ms and CPU µs/request of each, and the cost."""
    plain, sealed = servers
    lines = [
        "| Operation | plain p50 ms | encrypted p50 ms | plain CPU µs/req | encrypted CPU µs/req"
        " | cost (p50) | cost (CPU) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for op in OPS:
        p50 = [statistics.median(s.latency[op]) * 1000 for s in (plain, sealed)]
        cpu = [s.cpu[op] / s.count[op] * 1e6 for s in (plain, sealed)]
        lines.append(
            f"| {op} | {p50[0]:.2f} | {p50[1]:.2f} | {cpu[0]:,.0f} | {cpu[1]:,.0f}"
            f" | {p50[1] / p50[0] - 1:+.0%} | {cpu[1] / cpu[0] - 1:+.0%} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Start PostgreSQL, both servers, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--block", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nutrivision-phi-bench-") as root, ExitStack() as stack:
        urls = stack.enter_context(EmbeddedServices(Path(root) / "data"))
        servers = []
        for name, protected in (("plain", False), ("encrypted", True)):
            url = stack.enter_context(fresh_database(urls.database_url))
            log = Path(root) / f"{name}.log"
            servers.append(stack.enter_context(_server(name, url, urls.redis_url, protected, log)))
        measure(servers, args.rounds, args.block, lambda line: print(line, file=sys.stderr))
        print(report(servers))


if __name__ == "__main__":
    main()
