"""Terminology figures: shipped data size, first-use load times, and code lookup latency.

``python -m bench.terminology`` (under a minute, most of it starting PostgreSQL). Each load is
timed in a fresh interpreter (what a process pays on first use; the server loads ICD-10-CM and
the UCUM parser in the background at start, the rest on first use), then lookups in process,
then ``$lookup`` and ``$validate-code`` p50 over HTTP against a server on embedded PostgreSQL.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
DATA = [
    ROOT / "terminology" / "codesystems" / "data" / "fhir-r4-terminology.json.gz",
    ROOT / "terminology" / "icd10cm" / "data" / "icd10cm-2026.tsv.gz",
    ROOT / "terminology" / "loinc" / "data" / "loinc-subset.json",
]
BASELINE = "import fhir_server.http.rest_routes, operations.resource_meta"
LOADS = {
    "import the server without the terminology modules": BASELINE,
    "import the server with them (no data)": f"{BASELINE}; import operations",
    "FHIR R4 content (first code system)": (
        "from terminology.codesystems import catalog;"
        "catalog().code_system('http://hl7.org/fhir/administrative-gender')"
    ),
    "ICD-10-CM (98,466 concepts)": "from terminology.icd10cm import code_system; code_system()",
    "UCUM registry (ucumvert + pint)": "from terminology.ucum import is_valid; is_valid('mg')",
}
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"


def _timed(statement: str, runs: int = 1) -> float:
    """The best of ``runs`` fresh interpreters (on a shared machine the minimum is the
    least disturbed)."""
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    times = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        )
        times.append(float(done.stdout.strip()))
    return min(times)


def _p50(client: httpx.Client, path: str, params: dict[str, str], count: int) -> float:
    for _ in range(10):
        client.get(path, params=params).raise_for_status()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        client.get(path, params=params).raise_for_status()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def _in_process(call: Callable[[], object], count: int = 500) -> float:
    call()
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def in_process() -> None:
    """p50 of lookups inside the process, data loaded (microseconds)."""
    from terminology.codesystems import catalog

    icd = catalog().code_system(ICD10CM)
    assert icd is not None
    print(f"ICD-10-CM code lookup p50: {_in_process(lambda: icd.get('E11.9')):.1f} us")
    # food lookups: bench/foods_lookup.py


def main() -> None:
    """Print the figures."""
    for path in DATA:
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")
    print(f"total shipped: {sum(p.stat().st_size for p in DATA):,} bytes")
    for label, statement in LOADS.items():
        print(f"{label}: {_timed(statement):.2f} s")
    in_process()
    from fhir_server.settings import Settings
    from tests.servers import backing_services, running_server

    with (
        tempfile.TemporaryDirectory() as data_dir,
        backing_services(Path(data_dir), check_stored=False) as urls,
        running_server(urls, Settings()) as base,
        httpx.Client(base_url=base) as client,
    ):
        patient = client.post("/Patient", json={"resourceType": "Patient"}).json()["id"]
        p50 = _p50(client, f"/Patient/{patient}", {}, 100)
        print(f"baseline GET /Patient/id p50: {p50:.1f} ms")
        lookup = {"system": ICD10CM, "code": "E11.9"}
        p50 = _p50(client, "/CodeSystem/$lookup", lookup, 100)
        print(f"$lookup ICD-10-CM p50: {p50:.1f} ms")
        check = {"url": "http://hl7.org/fhir/ValueSet/administrative-gender", "code": "male"}
        p50 = _p50(client, "/ValueSet/$validate-code", check, 100)
        print(f"ValueSet/$validate-code p50: {p50:.1f} ms")


if __name__ == "__main__":
    main()
