"""Key rotation while the server serves reads, writes and searches: no request fails, and
afterwards no stored version is sealed under the old key."""

from __future__ import annotations

import random
import threading
import uuid
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import create_engine

from fhir_server.crypto.keystore import load_protection
from fhir_server.crypto.rotation import Sweep, count_stale, rotate
from fhir_server.crypto.runtime import master_source
from fhir_server.db.engine import sync_url
from fhir_server.embedded import ServiceUrls
from fhir_server.settings import Settings
from tests.integration.phi.phi_data import create_patient, distinctive, libpq, patient_body

pytestmark = pytest.mark.integration


class Traffic:
    """Reads, creates, updates and searches from several threads until stopped."""

    def __init__(self, base_url: str, patients: list[dict[str, Any]]) -> None:
        self.base_url, self.patients = base_url, patients
        self.stop = threading.Event()
        self.failures: list[str] = []
        self.requests = 0
        self.lock = threading.Lock()

    def _one(self, client: httpx.Client, rng: random.Random) -> httpx.Response:
        patient = rng.choice(self.patients)
        match rng.randrange(4):
            case 0:
                return client.get(f"/Patient/{patient['id']}")
            case 1:
                return client.post("/Patient", json=patient_body(distinctive("rotation")))
            case 2:
                body = {**patient_body(distinctive("rotation")), "id": patient["id"]}
                return client.put(f"/Patient/{patient['id']}", json=body)
            case _:
                return client.get("/Patient", params={"family": patient["name"][0]["family"]})

    def run(self, seed: int) -> None:
        rng = random.Random(seed)
        with httpx.Client(base_url=self.base_url, timeout=60) as client:
            while not self.stop.is_set():
                response = self._one(client, rng)
                with self.lock:
                    self.requests += 1
                    if response.status_code >= 300:
                        self.failures.append(f"{response.request.url} {response.status_code}")


def test_rotation_under_traffic(client: httpx.Client, base_url: str, services: ServiceUrls) -> None:
    patients = [create_patient(client, distinctive(uuid.uuid4().hex)) for _ in range(10)]
    engine = create_engine(sync_url(services.database_url))
    with engine.begin() as conn:  # as `nutrivision keys rotate` does, from its own keys
        protection, master = load_protection(conn, master_source(Settings()))
    old = protection.keyring.active_id.hex()
    traffic = Traffic(base_url, patients)
    threads = [threading.Thread(target=traffic.run, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    sweeps: list[Sweep] = []
    try:
        new = rotate(engine, protection, master, grace=4.0, size=25, progress=sweeps.append)
    finally:
        traffic.stop.set()
        for thread in threads:
            thread.join()
    assert traffic.failures == []
    assert traffic.requests > 20
    assert sum(s.done for s in sweeps) > 0
    assert count_stale(engine, new.hex()) == 0
    with psycopg.connect(libpq(services.database_url)) as conn:
        states: dict[str, str] = dict(conn.execute("SELECT key_id, state FROM phi_key").fetchall())
        index_states = conn.execute("SELECT state FROM phi_key WHERE purpose = 'index'").fetchall()
        old_rows = conn.execute(
            "SELECT count(*) FROM resource_version WHERE body_key = %s", (old,)
        ).fetchone()
    assert index_states == [("active",)]
    assert states[old] == "retired"
    assert states[new.hex()] == "active"
    assert old_rows == (0,)
    for patient in patients:
        assert client.get(f"/Patient/{patient['id']}").status_code == 200
    engine.dispose()
