"""The meal-text pipeline on the labelled descriptions: precision, recall, grams within 25%
of the label, the misses, and the time per description (p50, p95).

    PYTHONPATH=$PWD python -m bench.analyze_text [--misses] [--http]

``--http`` also starts the server (embedded PostgreSQL and Redis, in a thread of this process,
as in the tests) and posts each description to ``$analyze-food``, at type level and for a
patient with a tree-nut allergy and a medication (so the check reads the record), with a plain
read of the patient as the baseline on the same server and client.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import httpx

from fhir_server.settings import Settings
from ml_ops.text.evaluate import evaluate, load_set
from ml_ops.text.pipeline import analyse_text, default_matcher
from tests.servers import backing_services, running_server

SET = Path(__file__).parents[1] / "tests" / "fixtures" / "meal-descriptions" / "meals.jsonl"
HEADERS = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}


def timed(calls: Sequence[Callable[[], object]]) -> list[float]:
    """Milliseconds of each call, sorted."""
    out = []
    for call in calls:
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return sorted(out)


def line(name: str, timings: list[float]) -> str:
    """p50 and p95 of sorted ``timings``."""
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    p50 = statistics.median(timings)
    return f"{name:<36} n={len(timings):>4}  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms"


def pipeline(texts: list[str], show_misses: bool) -> None:
    """The figures of the pipeline alone."""
    rows = load_set(SET)
    matcher = default_matcher()
    analyse_text("warm up", matcher=matcher)  # the index is built once, outside the timing
    result = evaluate(rows, matcher)
    print(
        f"descriptions {result.descriptions}, labelled foods {result.labels}, items {result.items}"
    )
    print(f"precision {result.precision:.3f}  recall {result.recall:.3f}  "
          f"grams within 25% {result.grams_within_25:.3f}")  # fmt: skip
    print(
        line(
            "text pipeline, per description",
            timed([partial(analyse_text, t, matcher=matcher) for t in texts]),
        )
    )
    if show_misses:
        for miss in result.misses:
            print(f"{miss.kind:7} {miss.name!r:40} in {miss.text!r}")


def _post(client: httpx.Client, path: str, text: str) -> None:
    body = {"resourceType": "Parameters", "parameter": [{"name": "text", "valueString": text}]}
    response = client.post(f"{path}/$analyze-food", json=body)
    assert response.status_code == 200, response.text


def http(texts: list[str]) -> None:
    """End to end over HTTP."""
    with (
        tempfile.TemporaryDirectory(prefix="nv-bench-") as data_dir,
        backing_services(Path(data_dir), check_stored=False) as urls,
        running_server(urls, Settings(auth_required=False, data_dir=Path(data_dir))) as base,
        httpx.Client(base_url=base, headers=HEADERS, timeout=30) as client,
    ):
        patient = (
            f"Patient/{client.post('/Patient', json={'resourceType': 'Patient'}).json()['id']}"
        )
        client.post("/AllergyIntolerance", json={"resourceType": "AllergyIntolerance",
            "code": {"text": "tree nuts"}, "patient": {"reference": patient}})  # fmt: skip
        client.post("/MedicationStatement", json={"resourceType": "MedicationStatement",
            "status": "active", "medicationCodeableConcept": {"text": "warfarin 5 mg"},
            "subject": {"reference": patient}})  # fmt: skip
        _post(client, "/NutritionIntake", "warm up")
        print(line("HTTP read Patient (baseline)", timed([lambda: client.get(f"/{patient}")] * 50)))
        typed = [partial(_post, client, "/NutritionIntake", t) for t in texts]
        print(line("HTTP NutritionIntake/$analyze-food", timed(typed)))
        patients = [partial(_post, client, f"/{patient}", t) for t in texts]
        print(line("HTTP Patient/[id]/$analyze-food", timed(patients)))


def main() -> None:
    """Print the figures (and the misses with ``--misses``; HTTP timings with ``--http``)."""
    texts = [text for text, _ in load_set(SET)]
    pipeline(texts, "--misses" in sys.argv)
    if "--http" in sys.argv:
        http(texts[:100])  # a sample keeps the run short


if __name__ == "__main__":
    main()
