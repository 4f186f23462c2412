"""The benchmark's configuration and its rows of results."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.wrk import Measured

SCENARIOS = ("read", "create", "update")
SERVER, BARE_ASGI, DIRECT_INSERT = "server", "bare-asgi", "direct-insert"
CEILING_OF = {"read": (BARE_ASGI, "read"), "create": (DIRECT_INSERT, "insert")}
"""Which ceiling each of our scenarios is divided by (same workers and connections)."""
TARGETS = {"read": 0.50, "create": 0.40}
"""Minimum ratio to the ceiling, judged at ``TARGET_WORKERS`` workers."""
TARGET_WORKERS = 2


@dataclass(frozen=True)
class Config:
    """What to run; durations in seconds."""

    workers: tuple[int, ...]
    connections: tuple[int, ...]
    scenarios: tuple[str, ...]
    duration_s: float
    warmup_s: float
    threads: int
    seed_count: int
    out_dir: Path
    label: str = ""
    """What was measured, when the code's own git revision cannot say."""


@dataclass(frozen=True)
class Row:
    """One measured run."""

    target: str
    scenario: str
    workers: int
    connections: int
    measured: Measured

    def as_json(self) -> dict[str, Any]:
        """A plain dict for the results file."""
        head = {k: v for k, v in self.__dict__.items() if k != "measured"}
        return {**head, **self.measured.as_json()}


def _ints(text: str) -> tuple[int, ...]:
    values = tuple(int(part) for part in text.split(",") if part.strip())
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers like 1,2: {text!r}")
    return values


def _scenarios(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = set(names) - set(SCENARIOS)
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"scenarios are {','.join(SCENARIOS)}: {text!r}")
    return names


def parse_config(argv: list[str] | None) -> Config:
    """The configuration from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="Benchmark the FHIR server against a bare ASGI read and direct inserts.",
    )
    parser.add_argument("--workers", type=_ints, default=(1, 2), help="default 1,2")
    parser.add_argument("--connections", type=_ints, default=(16, 64), help="default 16,64")
    parser.add_argument("--scenarios", type=_scenarios, default=SCENARIOS)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each run")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument("--seed", type=int, default=1000, help="Patients created for reads")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    parser.add_argument("--label", default="", help="names the code measured, in the results")
    args = parser.parse_args(argv)
    if not 1 <= args.duration <= 120 or not 0 <= args.warmup <= 30:
        parser.error("--duration must be 1..120 s and --warmup 0..30 s")
    return Config(
        workers=args.workers,
        connections=args.connections,
        scenarios=args.scenarios,
        duration_s=args.duration,
        warmup_s=args.warmup,
        threads=args.threads,
        seed_count=args.seed,
        out_dir=args.out,
        label=args.label,
    )
