"""Food lookup timings: start-up, name search and whole-phrase resolution, and data size.

Start-up is measured in a fresh interpreter (import, open the SQLite file, build the name
index), as the server pays it on the first NutritionProduct request or meal analysis. Then
each query of a fixed list of diary phrases is timed in rounds (warm), for ``search`` (name
only) and ``resolve`` (phrase -> food, grams, nutrients). About 10 s.
Run: ``PYTHONPATH=. .venv/bin/python -m bench.foods_lookup [--rounds 20]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from terminology.foods.database import default_path
from terminology.foods.lookup import food_lookup

PHRASES = (
    "two scrambled eggs", "a slice of whole wheat toast", "grilled chicken breast",
    "steamed broccoli", "a banana", "a cup of milk", "a glass of oj", "1 cup rice",
    "2 tbsp peanut butter", "3 oz salmon", "a cup of coffee", "a medium potato",
    "two slices of bacon", "a cup of yogurt", "an apple", "a cup of brocoli",
    "a bowl of porridge", "a hot dog", "a salmon fillet", "a can of coke",
)  # fmt: skip
_STARTUP = (
    "import time; t = time.perf_counter(); "
    "from terminology.foods.lookup import food_lookup; food_lookup(); "
    "print(time.perf_counter() - t)"
)


def startup_seconds(runs: int) -> list[float]:
    """Seconds to import, open and index, each in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return [
        float(subprocess.run(  # our own interpreter and code
            [sys.executable, "-c", _STARTUP], capture_output=True, text=True, check=True, env=env
        ).stdout)
        for _ in range(runs)
    ]  # fmt: skip


def timings_ms(rounds: int, resolve: bool) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds per call over ``rounds`` passes of the phrase list.

    CPU time (of this thread) is reported beside wall time because the machine is shared:
    wall time there includes waiting for a core.
    """
    lookup = food_lookup()
    lookup.search("brocoli")  # builds the typo index once, as the first typo in service would
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        for phrase in PHRASES:
            start, start_cpu = time.perf_counter(), time.thread_time()
            if resolve:
                lookup.resolve(phrase)
            else:
                lookup.search(phrase, 10)
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((time.thread_time() - start_cpu) * 1000)
    return wall, cpu


def _quantiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100)
    return f"p50 {statistics.median(samples):.2f} ms, p99 {cuts[98]:.2f} ms, n={len(samples)}"


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--startups", type=int, default=3)
    args = parser.parse_args()
    path = default_path()
    print(f"shipped data: {path.name} {path.stat().st_size / 1e6:.2f} MB")
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    starts = startup_seconds(args.startups)
    print(f"start-up (import + open + index): median {statistics.median(starts):.2f} s "
          f"of {[round(s, 2) for s in starts]}")  # fmt: skip
    for label, resolve in (("search(name)", False), ("resolve(phrase)", True)):
        wall, cpu = timings_ms(args.rounds, resolve)
        print(f"{label:16} wall {_quantiles(wall)}; CPU {_quantiles(cpu)}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
