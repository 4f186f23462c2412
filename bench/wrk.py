"""Running wrk with one of the Lua scripts and reading the JSON line its ``done()`` prints."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

LUA_DIR = Path(__file__).parent / "lua"
MARKER = "BENCH_JSON "


@dataclass(frozen=True)
class Load:
    """One wrk run's shape."""

    connections: int
    threads: int
    duration_s: float
    timeout_s: float = 10.0


@dataclass(frozen=True)
class Measured:
    """What a load run measured; latencies in milliseconds."""

    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    status_errors: int
    app_cpu_us: float | None = None
    """CPU microseconds per request of the server's processes (or the insert clients)."""
    db_cpu_us: float | None = None
    """CPU microseconds per request of PostgreSQL's processes."""

    def with_cpu(self, app_cpu_s: float, db_cpu_s: float) -> Measured:
        """The same figures with CPU seconds spent during the run turned into per-request."""
        per = 1e6 / self.requests if self.requests else 0.0
        return replace(self, app_cpu_us=app_cpu_s * per, db_cpu_us=db_cpu_s * per)

    def as_json(self) -> dict[str, Any]:
        """A plain dict for the results file."""
        return dict(self.__dict__)


def wrk_path() -> str:
    """The wrk executable, or a clear error naming the Debian package."""
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed: apt-get install wrk")
    return found


def run_wrk(url: str, script: str, load: Load, script_args: list[str]) -> Measured:
    """Run ``wrk`` against ``url`` (base, with path) with ``lua/<script>.lua``."""
    argv = [
        wrk_path(),
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{max(1, round(load.duration_s))}s",
        f"--timeout={load.timeout_s:g}s",
        "--latency",
        "-s",
        str(LUA_DIR / f"{script}.lua"),
        url,
        "--",
        *script_args,
    ]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=load.duration_s + 60, check=False
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith(MARKER)), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return _measured(orjson.loads(line[len(MARKER) :]))


def _measured(data: dict[str, Any]) -> Measured:
    latency, errors = data["latency_us"], data["errors"]
    seconds = data["duration_us"] / 1e6
    return Measured(
        requests=data["requests"],
        rps=data["requests"] / seconds if seconds else 0.0,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        errors=sum(errors.values()),
        status_errors=errors["status"],
    )


def percentile(sorted_values: list[int], pct: float) -> int:
    """The nearest-rank percentile of already sorted values (0 when empty)."""
    if not sorted_values:
        return 0
    rank = max(1, round(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def measured_from_latencies(latencies_us: list[int], seconds: float) -> Measured:
    """A ``Measured`` from raw per-operation latencies (the direct-insert clients)."""
    values = sorted(latencies_us)
    return Measured(
        requests=len(values),
        rps=len(values) / seconds,
        p50_ms=percentile(values, 50) / 1000,
        p90_ms=percentile(values, 90) / 1000,
        p99_ms=percentile(values, 99) / 1000,
        max_ms=(values[-1] if values else 0) / 1000,
        errors=0,
        status_errors=0,
    )
