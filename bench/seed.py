"""Request bodies for wrk, and the Patients created through the API before reads and updates."""

from __future__ import annotations

import http.client
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import orjson

PATIENT_JSON = Path(__file__).parent / "data" / "patient.json"
ID_PLACEHOLDER = "__ID__"
SEED_THREADS = 8


@dataclass(frozen=True)
class Bodies:
    """Files the Lua scripts read: the create body, the update template, the ids."""

    create: Path
    update_template: Path
    ids: Path


def write_bodies(folder: Path) -> Bodies:
    """Compact JSON for create, and the same Patient with ``"id": "__ID__"`` for update."""
    patient = orjson.loads(PATIENT_JSON.read_bytes())
    rest = {k: v for k, v in patient.items() if k not in ("resourceType", "id")}
    template = {"resourceType": "Patient", "id": ID_PLACEHOLDER, **rest}
    bodies = Bodies(folder / "patient.json", folder / "patient-update.json", folder / "ids.txt")
    bodies.create.write_bytes(orjson.dumps(patient))
    bodies.update_template.write_bytes(orjson.dumps(template))
    return bodies


def _create_many(port: int, body: bytes, count: int) -> list[str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
    ids: list[str] = []
    try:
        for _ in range(count):
            conn.request("POST", "/fhir/Patient", body, headers)
            response = conn.getresponse()
            data = response.read()
            if response.status != 201:
                raise RuntimeError(f"seeding create got {response.status}: {data[:300]!r}")
            ids.append(str(orjson.loads(data)["id"]))
    finally:
        conn.close()
    return ids


def seed_patients(port: int, bodies: Bodies, count: int) -> list[str]:
    """Create ``count`` Patients through the server; their ids go to ``bodies.ids``."""
    body = bodies.create.read_bytes()
    shares = [count // SEED_THREADS + (i < count % SEED_THREADS) for i in range(SEED_THREADS)]
    with ThreadPoolExecutor(SEED_THREADS) as pool:
        batches = list(pool.map(lambda n: _create_many(port, body, n), shares))
    ids = [id_ for batch in batches for id_ in batch]
    bodies.ids.write_text("\n".join(ids) + "\n")
    return ids
