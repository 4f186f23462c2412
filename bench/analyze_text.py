"""The meal-text pipeline on the labelled descriptions: precision, recall, grams within 25%
of the label, the misses, and the time per description (p50, p95).

    PYTHONPATH=$PWD python -m bench.analyze_text [--misses]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from ml_ops.text.evaluate import evaluate, load_set
from ml_ops.text.pipeline import analyse_text, default_matcher

SET = Path(__file__).parents[1] / "tests" / "fixtures" / "meal-descriptions" / "meals.jsonl"


def main() -> None:
    """Print the figures (and the misses with ``--misses``)."""
    rows = load_set(SET)
    matcher = default_matcher()
    analyse_text("warm up", matcher=matcher)  # the index is built once, outside the timing
    result = evaluate(rows, matcher)
    timings = []
    for text, _ in rows:
        started = time.perf_counter()
        analyse_text(text, matcher=matcher)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    print(
        f"descriptions {result.descriptions}, labelled foods {result.labels}, items {result.items}"
    )
    print(
        f"precision {result.precision:.3f}  recall {result.recall:.3f}  "
        f"grams within 25% {result.grams_within_25:.3f}"
    )
    print(
        f"time per description: p50 {statistics.median(timings):.1f} ms, "
        f"p95 {timings[int(len(timings) * 0.95)]:.1f} ms"
    )
    if "--misses" in sys.argv:
        for miss in result.misses:
            print(f"{miss.kind:7} {miss.name!r:40} in {miss.text!r}")


if __name__ == "__main__":
    main()
