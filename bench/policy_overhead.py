"""What scope enforcement costs per read: read-by-id on the store with and without a policy.

Starts an embedded PostgreSQL under a temporary folder (or uses ``NUTRIVISION_DATABASE_URL``),
seeds one patient's Observations, then reads them by id in rounds that alternate between the
bare store and the policy store of each token, so machine load hits all of them alike:

- ``none``: ``PostgresResourceStore.read`` (auth off);
- ``system``: ``system/*.*`` (no restriction: only the type check);
- ``patient_v1``: ``patient/*.read`` (the compartment checked on the body);
- ``patient_v2_lab``: ``patient/Observation.rs?category=...|laboratory`` (compartment and query).

Also the pure policy check alone (``AccessPolicy.permits`` on a parsed body) in microseconds.
About 15 s. Run: ``PYTHONPATH=. .venv/bin/python -m bench.policy_overhead [--reads 2000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fhir_server.db import migrate
from fhir_server.db.engine import create_engine
from fhir_server.embedded import EmbeddedServices
from fhir_server.store.fast_reads import FastReader
from fhir_server.store.policy_store import PolicyStore
from fhir_server.store.resource_store import PostgresResourceStore
from resources import fhir_json
from resources.search.registry import default_registry
from smart_auth.context import AccessContext
from smart_auth.policy import AccessPolicy

CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
TOKENS = {
    "system": ("system/*.*",),
    "patient_v1": ("patient/*.read",),
    "patient_v2_lab": (f"patient/Observation.rs?category={CATEGORY}|laboratory",),
}
Read = Callable[[str, str], Awaitable[Any]]


def _observation(patient: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "performer": [{"reference": "Practitioner/p1"}],
        "category": [{"coding": [{"system": CATEGORY, "code": "laboratory"}]}],
        "valueQuantity": {"value": 5.4, "unit": "mmol/L"},
    }


async def _rounds(readers: dict[str, Read], ids: list[str], reads: int) -> dict[str, float]:
    """Mean microseconds per read for each reader, measured in alternating rounds."""
    spent = {name: 0.0 for name in readers}
    per_round = max(1, reads // 10)
    for round_ in range(10):
        for name, read in readers.items():
            chosen = [ids[(round_ * per_round + n) % len(ids)] for n in range(per_round)]
            started = time.perf_counter()
            for id_ in chosen:
                found = await read("Observation", id_)
                assert found is not None, name
            spent[name] += time.perf_counter() - started
    return {name: seconds / (10 * per_round) * 1e6 for name, seconds in spent.items()}


def _pure(body: dict[str, Any], patient: str) -> dict[str, float]:
    """Microseconds per ``permits`` call, per token (the policy built once, as per token)."""
    result = {}
    for name, scopes in TOKENS.items():
        policy = AccessPolicy(AccessContext("bench", scopes, patient=patient))
        timings = []
        for _ in range(5):
            started = time.process_time()  # CPU time: other work on the machine does not count
            for _ in range(1000):
                policy.permits("r", body)
            timings.append((time.process_time() - started) / 1000 * 1e6)
        result[name] = statistics.median(timings)
    return result


async def _measure(database_url: str, reads: int) -> None:
    migrate.upgrade(database_url)
    engine = create_engine(database_url, 4)
    reader = FastReader(database_url, 2)
    await reader.open()
    try:
        raw = PostgresResourceStore(engine, reader)
        ids = [
            (await raw.create("Observation", _observation("bench-p"), None)).stored.id
            for _ in range(200)
        ]
        readers: dict[str, Read] = {"none": raw.read}
        for name, scopes in TOKENS.items():
            access = AccessContext("bench", scopes, patient="bench-p")
            readers[name] = PolicyStore(raw, AccessPolicy(access, default_registry())).read
        await _rounds(readers, ids, max(100, reads // 10))  # warm-up
        means = await _rounds(readers, ids, reads)
        body = fhir_json.loads((await raw.read("Observation", ids[0])).body or b"{}")
    finally:
        await reader.close()
        await engine.dispose()
    base = means["none"]
    print("load average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"read-by-id, mean of {reads} reads each (µs per read; overhead over no policy)")
    for name, mean in means.items():
        print(f"  {name:15s} {mean:8.1f} µs   {mean - base:+7.1f} µs")
    print("policy check alone (AccessPolicy.permits on a parsed Observation, CPU µs per call)")
    for name, micros in _pure(body, "bench-p").items():
        print(f"  {name:15s} {micros:8.1f} µs")


def main() -> None:
    """Parse options and run on an embedded or the configured PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reads", type=int, default=2000)
    options = parser.parse_args()
    url = os.environ.get("NUTRIVISION_DATABASE_URL")
    if url:
        asyncio.run(_measure(url, options.reads))
        return
    with (
        tempfile.TemporaryDirectory(prefix="nv-policy-bench-") as folder,
        EmbeddedServices(Path(folder)) as urls,
    ):
        asyncio.run(_measure(urls.database_url, options.reads))


if __name__ == "__main__":
    main()
