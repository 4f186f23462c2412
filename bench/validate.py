"""Validation cost: p50 per resource against our profiles, and write throughput with profile
validation on versus off. ``python -m bench.validate`` (about 30 s); see bench/README.md."""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from fhir_server.embedded import EmbeddedServices
from fhir_server.settings import Settings
from profiles_ig.canonical import profile_url
from profiles_ig.validation import validate_resource
from profiles_ig.validator import default_validator
from profiles_ig.write_policy import Mode
from tests.servers import running_server

PROFILED = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "ig" / "profiled"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PROFILED / f"{name}.json").read_text(encoding="utf-8"))
    return data


def _timings(action: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU (this thread's) seconds of each of ``runs`` calls: on a shared machine the
    CPU time hardly moves with the load, the wall time does."""
    action()  # the first call builds the snapshot index and compiles the invariants
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.thread_time()
        action()
        wall.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    return wall, cpu


def per_resource(runs: int) -> dict[str, dict[str, float]]:
    """p50 and p95 (ms) of ``validate_resource`` (model, base, profile) per resource, wall
    time, and the p50 of its CPU time."""
    default_validator()
    results = {}
    for name in ("nv-patient", "nv-nutrition-intake", "nv-allergy-intolerance"):
        resource = _load(name)
        wall, cpu = _timings(
            functools.partial(validate_resource, resource, [profile_url(name)]), runs
        )
        results[name] = {
            "p50_ms": statistics.median(wall) * 1e3,
            "p95_ms": statistics.quantiles(wall, n=20)[18] * 1e3,
            "cpu_p50_ms": statistics.median(cpu) * 1e3,
        }
    return results


def _writes(base_url: str, body: dict[str, Any], seconds: float) -> tuple[float, float]:
    """Creates per second, and CPU ms per create of this process (the server runs in a thread
    of it, beside the client; PostgreSQL's CPU is not counted)."""
    headers = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
    count = 0
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        for _ in range(20):  # warm-up
            client.post("/AllergyIntolerance", json=body).raise_for_status()
        deadline = time.monotonic() + seconds
        start, start_cpu = time.monotonic(), time.process_time()
        while time.monotonic() < deadline:
            client.post("/AllergyIntolerance", json=body).raise_for_status()
            count += 1
        cpu = time.process_time() - start_cpu
        return count / (time.monotonic() - start), cpu / count * 1e3


def write_throughput(seconds: float, rounds: int) -> dict[str, dict[str, float]]:
    """Sequential AllergyIntolerance creates per second and CPU ms per create, validation
    enforced and off: medians of ``rounds`` alternating runs, so that a change in the machine's
    load hits both."""
    body = {k: v for k, v in _load("nv-allergy-intolerance").items() if k != "id"}
    modes: tuple[tuple[str, dict[str, Mode]], ...] = (
        ("validation_on", {"AllergyIntolerance": "enforce"}),
        ("validation_off", {}),
    )
    runs: dict[str, list[tuple[float, float]]] = {label: [] for label, _modes in modes}
    with (
        tempfile.TemporaryDirectory(prefix="nv-bench-") as data,
        EmbeddedServices(Path(data)) as urls,
    ):
        for _round in range(rounds):
            for label, chosen in modes:
                settings = Settings(
                    data_dir=Path(data), auth_required=False, profile_validation=chosen
                )  # auth off: the figure is the write path's, not the token check's
                with running_server(urls, settings) as base_url:
                    runs[label].append(_writes(base_url, body, seconds))
    return {
        label: {
            "writes_per_s": statistics.median(rate for rate, _cpu in values),
            "cpu_ms_per_write": statistics.median(cpu for _rate, cpu in values),
        }
        for label, values in runs.items()
    }


def main() -> None:
    """Run both measurements and print them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200, help="validations per resource")
    parser.add_argument("--seconds", type=float, default=3.0, help="write time per run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per mode")
    args = parser.parse_args()
    report = {
        "per_resource": per_resource(args.runs),
        "writes": write_throughput(args.seconds, args.rounds),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
