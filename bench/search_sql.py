"""The server's CPU for turning a search into SQL, per stage: parsing the parameters, building
the condition (``compile_search``), the page statement, and SQLAlchemy's cached compile (the
cache key of the statement, then the lookup). No database: the median of ``--runs`` runs of
each stage for the shapes of ``bench.search_scale``.

    python -m bench.search_sql [--runs 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from itertools import pairwise
from typing import Any

from sqlalchemy import create_engine

from fhir_server.store.search_engine import compile_search, page_statement
from resources.search.parse import parse_search
from resources.search.registry import default_registry

SHAPES: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "patient-name": ("Patient", [("family", "Binsx0000")]),
    "obs-patient-code-date": (
        "Observation",
        [
            ("patient", "p-10"),
            ("code", "http://loinc.org|55284-4"),
            ("date", "ge2014-01-01"),
            ("date", "lt2015-01-01"),
        ],
    ),
    "obs-include": (
        "Observation",
        [
            ("patient", "p-10"),
            ("code", "http://loinc.org|55284-4"),
            ("_include", "Observation:subject"),
        ],
    ),
    "chain-2": ("Observation", [("encounter.patient.family", "Binsx0000")]),
    "has": ("Patient", [("_has:Observation:patient:code", "http://loinc.org|55284-4")]),
}


def measure(resource_type: str, params: list[tuple[str, str]], runs: int) -> dict[str, float]:
    """Median µs of each stage over ``runs``."""
    registry = default_registry()
    dialect = create_engine("postgresql+psycopg://").dialect
    cache: dict[Any, Any] = {}
    times: dict[str, list[float]] = {"parse": [], "condition": [], "page": [], "sa-compile": []}
    for _ in range(runs):
        start = time.perf_counter()
        query = parse_search((resource_type,), params, registry)
        parsed = time.perf_counter()
        search = compile_search(query, "http://localhost/fhir")
        built = time.perf_counter()
        statement = page_statement(search, 21)
        paged = time.perf_counter()
        statement._compile_w_cache(dialect, compiled_cache=cache, column_keys=[])
        compiled = time.perf_counter()
        marks = (start, parsed, built, paged, compiled)
        for stage, (before, after) in zip(times, pairwise(marks), strict=True):
            times[stage].append(after - before)
    return {stage: statistics.median(values) * 1e6 for stage, values in times.items()}


def main() -> None:
    """Print one line per shape."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    for name, (resource_type, params) in SHAPES.items():
        stages = measure(resource_type, params, args.runs)
        total = sum(stages.values())
        cells = ", ".join(f"{stage} {value:.0f}" for stage, value in stages.items())
        print(f"{name:22} {total:6.0f} µs ({cells})")


if __name__ == "__main__":
    main()
