"""Structural validation per resource: ``validation_issues`` against the library's models alone.

The resources of the first ``--limit`` Synthea transaction Bundles (``--bundles FOLDER``, by
default ``../shared/fixtures/synthea-r4-smart-on-fhir/bundles``), parsed as the server parses
a body. For each: ``validation_issues`` (the strict walk, and the fhir.resources models only
when the walk cannot decide) and the models' check alone (``model_validate``). CPU
(``time.process_time``) per resource, the least of ``--runs`` passes, for all and per type;
and how many resources the walk decided alone.

    python -m bench.structural_validation [--limit 8] [--runs 5]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.ingest import SYNTHEA
from resources import fhir_json
from resources.model import _model_issues, _StrictWalker, validation_issues


def _least(check: Callable[[dict[str, Any]], object], resources: list[Any], runs: int) -> float:
    """Least CPU µs per resource over ``runs`` passes."""
    best = float("inf")
    for _ in range(runs):
        started = time.process_time()
        for resource in resources:
            check(resource)
        best = min(best, time.process_time() - started)
    return best / len(resources) * 1e6


def _models(resource: dict[str, Any]) -> object:
    return _model_issues(resource["resourceType"], resource)


def _decided_by_the_walk(resource: dict[str, Any]) -> bool:
    walker = _StrictWalker()
    walker.resource(resource, "")
    return walker.complete and not walker.issues


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bundles", type=Path, default=SYNTHEA, help="folder of Bundles")
    parser.add_argument("--limit", type=int, default=8, help="Bundles (first by name)")
    parser.add_argument("--runs", type=int, default=5, help="passes; the least is kept")
    args = parser.parse_args()
    resources = [
        entry["resource"]
        for path in sorted(args.bundles.glob("*.json"))[: args.limit]
        for entry in fhir_json.loads(path.read_bytes())["entry"]
    ]
    if not resources:
        raise SystemExit(f"no Bundles under {args.bundles}")
    by_type: dict[str, list[Any]] = defaultdict(list)
    for resource in resources:
        by_type[resource["resourceType"]].append(resource)
    print(f"{'type':<24}{'n':>6}{'walked':>8}{'validation_issues µs':>22}{'models µs':>11}")
    rows = [("all", resources), *sorted(by_type.items(), key=lambda kv: -len(kv[1]))]
    for name, group in rows:
        walked = sum(_decided_by_the_walk(r) for r in group)
        ours = _least(validation_issues, group, args.runs)
        theirs = _least(_models, group, args.runs)
        print(f"{name:<24}{len(group):>6}{walked:>8}{ours:>22.0f}{theirs:>11.0f}")


if __name__ == "__main__":
    main()
