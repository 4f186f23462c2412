"""The cost of the full-text index: creates with and without it, and ``_content`` search latency.

Creates: two servers with PHI protection side by side on one embedded PostgreSQL, each on a
database of its own: this checkout, and ``--baseline DIR``, a checkout from before full-text
search (``git archive <commit> | tar -x -C DIR``). Blocks of creates of a typical Synthea
Observation and Patient alternate between them, so a change in the machine's load hits both
alike; reported per type: median latency and CPU per create of each server process and of
PostgreSQL. Without ``--baseline`` only the search part runs.

Search: ``--copies`` copies of the Synthea resources under ``tests/fixtures/synthea/`` (new ids,
each Observation with a word of its own in a note) are loaded by transactions into this
checkout's server, then each query runs ``--repeat`` times: median and p95 latency, hits.

    python -m bench.fulltext [--baseline DIR] [--copies 10] [--rounds 4] [--block 20]
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from bench.phi_cost import REPO, Server, _cpu, _postmaster, _serving
from bench.processes import Child, free_port
from fhir_server.embedded import EmbeddedServices
from fhir_server.store.index_writer import table_rows
from resources.crypto import protection
from resources.crypto.blind import BlindIndex
from resources.crypto.envelope import new_key
from resources.crypto.keyring import Keyring
from resources.crypto.protection import Protection
from resources.search.fulltext import FULLTEXT_CODES, fulltext_values
from resources.search.index_rows import text_digests
from resources.search.registry import default_registry
from tests.servers import fresh_database
from tests.synthea import synthea_resources

Resource = dict[str, Any]
SAMPLES = {
    t: next(r for r in synthea_resources() if r["resourceType"] == t)
    for t in ("Observation", "Patient")
}
QUERIES = (
    ("Observation", {"_content": "u3x7"}),
    ("", {"_content": "u3x7"}),
    ("Observation", {"_content": "cholesterol"}),
    ("Observation", {"_content": "systolic blood pressure"}),
    ("Observation", {"_content": "cholesterol,tobacco", "_count": "10"}),
    ("Observation", {"_content": "body", "_summary": "count"}),
    ("Patient", {"_text": "synthea", "_count": "10"}),
)
"""A word on one resource (1 hit), on about 5% of Observations, all words, any value, a
count of 25%, the narrative of every Patient."""


def _create(server: Server, resource_type: str) -> None:
    body = {k: v for k, v in SAMPLES[resource_type].items() if k != "id"}
    response = server.client.post(f"/{resource_type}", content=json.dumps(body))
    if response.status_code != 201:
        raise RuntimeError(f"{server.name}: {response.status_code} {response.text[:200]}")


def _block(server: Server, op: str, size: int) -> None:
    cpu, db = _cpu([server.process]), _cpu(server.postgres)
    for _ in range(size):
        began = time.perf_counter()
        _create(server, op)
        server.latency.setdefault(op, []).append(time.perf_counter() - began)
    server.cpu[op] = server.cpu.get(op, 0.0) + _cpu([server.process]) - cpu
    server.db_cpu[op] = server.db_cpu.get(op, 0.0) + _cpu(server.postgres) - db
    server.count[op] = server.count.get(op, 0) + size


def _launch(checkout: Path, name: str, database_url: str, redis_url: str, log: Path) -> Child:
    """Migrate the database and start a protected server, both with ``checkout``'s code."""
    env = {
        **os.environ,
        "PYTHONPATH": str(checkout),
        "NUTRIVISION_DATABASE_URL": database_url,
        "NUTRIVISION_REDIS_URL": redis_url,
        "NUTRIVISION_PHI_PROTECTION": "true",
        "NUTRIVISION_AUTH_REQUIRED": "false",
        "NUTRIVISION_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(),
    }
    code = f"from fhir_server.db import migrate; migrate.upgrade({database_url!r})"
    subprocess.run([sys.executable, "-c", code], cwd=checkout, env=env, check=True)
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "fhir_server.asgi:create", "--factory",
            "--port", str(port), "--log-level", "warning"]  # fmt: skip
    child = Child(name, argv, env, checkout, log)
    child.port = port  # type: ignore[attr-defined]
    return child


def measure_creates(servers: list[Server], rounds: int, block: int) -> str:
    """Alternating blocks of creates per type; a Markdown table of the figures."""
    for server in servers:
        for op in SAMPLES:
            for _ in range(20):  # warm-up, not measured
                _create(server, op)
    for op in SAMPLES:
        for r in range(rounds):
            for server in servers if r % 2 == 0 else reversed(servers):
                _block(server, op, block)
    lines = [
        "| Create | p50 ms before | p50 ms with full text | CPU µs/req app + db before"
        " | CPU µs/req app + db with | cost p50 | cost CPU |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    before, after = servers
    for op in SAMPLES:
        p50 = [statistics.median(s.latency[op]) * 1000 for s in (before, after)]
        app = [s.cpu[op] / s.count[op] * 1e6 for s in (before, after)]
        db = [s.db_cpu[op] / s.count[op] * 1e6 for s in (before, after)]
        total = [a + d for a, d in zip(app, db, strict=True)]
        lines.append(
            f"| {op} | {p50[0]:.2f} | {p50[1]:.2f} | {app[0]:,.0f} + {db[0]:,.0f}"
            f" | {app[1]:,.0f} + {db[1]:,.0f} | {p50[1] / p50[0] - 1:+.1%}"
            f" | {total[1] / total[0] - 1:+.1%} |"
        )
    return "\n".join(lines)


def measure_step(repeat: int = 400) -> str:
    """The in-process CPU of the full-text step of one write (words and digests of ``_text``
    and ``_content``) beside that of all the index rows, best of 5: the steadier figure on a
    shared machine."""
    protection.install(Protection(Keyring(), BlindIndex(new_key()), b"i" * 16))
    registry = default_registry()
    lines = ["| Resource | words | full-text step µs | all index rows µs |", "|---|---:|---:|---:|"]
    for resource_type, resource in SAMPLES.items():

        def step(r: Resource = resource) -> int:
            found = 0
            for code in FULLTEXT_CODES:
                for value in fulltext_values(r, code):
                    found += len(text_digests(code, value.words))
            return found

        def rows(r: Resource = resource, t: str = resource_type) -> None:
            table_rows(t, str(r["id"]), r, registry)

        words = step()
        timed = [
            min(timeit.repeat(f, number=repeat, repeat=5)) / repeat * 1e6 for f in (step, rows)
        ]
        lines.append(f"| {resource_type} | {words} | {timed[0]:.0f} | {timed[1]:.0f} |")
    return "\n".join(lines)


def _copy(resources: list[Resource], n: int) -> list[Resource]:
    """The resources with new ids (references follow) and a word of its own on each
    Observation (``u<copy>x<n>``)."""
    text = json.dumps(resources)
    for resource in resources:
        text = text.replace(resource["id"], str(uuid.uuid4()))
    copied: list[Resource] = json.loads(text)
    observations = (r for r in copied if r["resourceType"] == "Observation")
    for number, resource in enumerate(observations):
        resource["note"] = [{"text": f"sample u{n}x{number}"}]
    return copied


def load(client: httpx.Client, copies: int) -> int:
    """Load the copies by transactions of at most 100 PUTs; how many resources."""
    base = synthea_resources()
    count = 0
    for n in range(copies):
        resources = _copy(copy.deepcopy(base), n)
        for start in range(0, len(resources), 100):
            entries = [
                {
                    "resource": r,
                    "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
                }
                for r in resources[start : start + 100]
            ]
            bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
            response = client.post("", content=json.dumps(bundle))
            if response.status_code != 200:
                raise RuntimeError(f"load: {response.status_code} {response.text[:300]}")
        count += len(resources)
    return count


def measure_searches(client: httpx.Client, repeat: int) -> str:
    """Each query ``repeat`` times after one warm-up: a Markdown table."""
    lines = ["| Query | hits (first page, or total) | p50 ms | p95 ms |", "|---|---:|---:|---:|"]
    for path, params in QUERIES:
        client.get(f"/{path}", params=params)
        times, hits = [], 0
        for _ in range(repeat):
            began = time.perf_counter()
            response = client.get(f"/{path}", params=params)
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, response.text
            found = response.json()
            hits = found.get("total", len(found.get("entry", [])))
        times.sort()
        query = "&".join(f"{k}={v}" for k, v in params.items())
        lines.append(
            f"| `{path or '/'}?{query}` | {hits} | {statistics.median(times):.1f}"
            f" | {times[int(len(times) * 0.95) - 1]:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Start PostgreSQL and the servers; print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--block", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nutrivision-fulltext-") as root, ExitStack() as stack:
        urls = stack.enter_context(EmbeddedServices(Path(root) / "data"))
        postmaster = _postmaster(urls.database_url)
        checkouts = [("with", REPO)]
        if args.baseline is not None:
            checkouts.insert(0, ("before", args.baseline.resolve()))
        children = []
        for name, checkout in checkouts:
            url = stack.enter_context(fresh_database(urls.database_url, check_stored=False))
            children.append(_launch(checkout, name, url, urls.redis_url, Path(root) / name))
        servers = [stack.enter_context(_serving(c, [postmaster])) for c in children]
        print(measure_step())
        if len(servers) == 2:
            print(measure_creates(servers, args.rounds, args.block))
        if args.copies == 0:
            return
        loaded = load(servers[-1].client, args.copies)
        print(f"\n{loaded} resources loaded\n", file=sys.stderr)
        print(measure_searches(servers[-1].client, args.repeat))


if __name__ == "__main__":
    main()
