"""Latency of a patient-level ``$interaction-check``: 10 foods against 10 medications and
5 allergies, over HTTP on the real server (embedded PostgreSQL), and of the check alone.

``python -m bench.interaction_check [--seconds 8]`` prints p50, p99 and checks/s. Each request
sends different food texts (an amount in grams varies), so the food reading cache does not
hide the matching cost; a second run repeats one meal to show the cached case. The server
runs in a thread of this process (as in the tests), so client and server share one
interpreter; a plain read of the patient on the same setup is measured as the baseline.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from fhir_server.settings import Settings
from operations.safety.engine import run_check
from operations.safety.model import AllergyInput, FoodInput, MedicationInput
from tests.servers import backing_services, running_server

FOODS = [
    "grapefruit juice", "almond cookies", "aged cheddar", "kale salad", "glass of red wine",
    "steamed rice", "grilled chicken breast", "shrimp scampi", "banana", "coffee with milk",
]  # fmt: skip
MEDICATIONS = [
    "Lipitor 20 mg", "warfarin 5 mg", "metformin 500 mg", "lisinopril 10 mg", "levothyroxine",
    "Flagyl 500 mg", "sertraline 50 mg", "omeprazole 20 mg", "amlodipine 5 mg", "Eliquis",
]  # fmt: skip
ALLERGIES = ["tree nuts", "shellfish", "penicillin", "sesame", "egg"]
HEADERS = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(call: Callable[[int], None], seconds: float) -> dict[str, float]:
    """Run ``call(i)`` sequentially for ``seconds``: p50 and p99 in ms, and calls per second."""
    for i in range(5):
        call(-i - 1)  # warm-up
    timings: list[float] = []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        before = time.perf_counter()
        call(len(timings))
        timings.append((time.perf_counter() - before) * 1000)
    elapsed = time.perf_counter() - started
    return {
        "n": len(timings),
        "p50_ms": percentile(timings, 0.50),
        "p99_ms": percentile(timings, 0.99),
        "mean_ms": statistics.fmean(timings),
        "per_s": len(timings) / elapsed,
    }


def foods_for(i: int) -> list[str]:
    """The 10 foods, with an amount that differs per request (so no cache hit)."""
    return [f"{100 + i % 9973} g {food}" if i >= 0 else food for food in FOODS]


CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"


def seed_patient(client: httpx.Client) -> str:
    """A patient with 10 active MedicationStatements and 5 AllergyIntolerances."""
    response = client.post("/Patient", json={"resourceType": "Patient", "gender": "female"})
    patient = f"Patient/{response.json()['id']}"
    for text in MEDICATIONS:
        statement = {
            "resourceType": "MedicationStatement",
            "status": "active",
            "medicationCodeableConcept": {"text": text},
            "subject": {"reference": patient},
        }
        assert client.post("/MedicationStatement", json=statement).status_code == 201
    for text in ALLERGIES:
        allergy = {
            "resourceType": "AllergyIntolerance",
            "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]},
            "verificationStatus": {"coding": [{"system": VERIFICATION, "code": "confirmed"}]},
            "category": ["food"],
            "code": {"text": text},
            "patient": {"reference": patient},
        }
        assert client.post("/AllergyIntolerance", json=allergy).status_code == 201
    return patient


def http_check(client: httpx.Client, patient: str, cached: bool) -> Callable[[int], None]:
    """One instance-level check per call."""

    def call(i: int) -> None:
        foods = FOODS if cached else foods_for(i)
        body: dict[str, Any] = {
            "resourceType": "Parameters",
            "parameter": [{"name": "food", "valueString": food} for food in foods],
        }
        response = client.post(f"/{patient}/$interaction-check", json=body)
        assert response.status_code == 200, response.text

    return call


def http_read(client: httpx.Client, patient: str) -> Callable[[int], None]:
    """Baseline on the same server and client: one read of the patient."""

    def call(i: int) -> None:
        assert client.get(f"/{patient}").status_code == 200

    return call


def engine_check(cached: bool) -> Callable[[int], None]:
    """The check alone, in process (no HTTP, no storage)."""
    medications = [MedicationInput(text) for text in MEDICATIONS]
    allergies = [AllergyInput(text) for text in ALLERGIES]

    def call(i: int) -> None:
        foods = [FoodInput(text) for text in (FOODS if cached else foods_for(i))]
        run_check(foods, medications, allergies)

    return call


def report(name: str, figures: dict[str, float]) -> None:
    """One line of results."""
    print(
        f"{name:<34} n={figures['n']:>5.0f}  p50={figures['p50_ms']:7.2f} ms  "
        f"p99={figures['p99_ms']:7.2f} ms  {figures['per_s']:7.1f} checks/s"
    )


def _settings(folder: Path) -> Settings:
    """Auth off (the figure is the check's, not the token's) and a master key of its own."""
    key = SecretStr(base64.b64encode(os.urandom(32)).decode())
    return Settings(data_dir=folder / "server", auth_required=False, master_key=key)


def main() -> None:
    """Start the server, seed a patient, measure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    seconds = parser.parse_args().seconds
    with (
        tempfile.TemporaryDirectory(prefix="nv-bench-") as data_dir,
        backing_services(Path(data_dir), check_stored=False) as urls,
        running_server(urls, _settings(Path(data_dir))) as base,
        httpx.Client(base_url=base, headers=HEADERS, timeout=30) as client,
    ):
        patient = seed_patient(client)
        report("HTTP read Patient (baseline)", measure(http_read(client, patient), seconds))
        report(
            "HTTP patient-level, new foods", measure(http_check(client, patient, False), seconds)
        )
        report("HTTP patient-level, same meal", measure(http_check(client, patient, True), seconds))
    report("check only, new foods", measure(engine_check(False), seconds))
    report("check only, same meal", measure(engine_check(True), seconds))


if __name__ == "__main__":
    main()
