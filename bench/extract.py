"""CPU cost of indexing at write time: extraction alone, and every index row of a resource.

For the resources of the Synthea transaction Bundles under ``../shared/fixtures`` (or
``$NUTRIVISION_SHARED_FIXTURES``; references ``urn:uuid:`` rewritten to ``Type/id``, as a
transaction stores them) and the R4 examples, per
resource type: ``extract_all`` (the search values) and ``table_rows`` (values, the seam's rows
with PHI protection on, and the table layout), in ms of process CPU per resource, best of
``--runs`` passes (per slice of 20 resources). Run it niced on a quiet machine; about 20 s.

    python -m bench.extract [--runs 7] [--mixed 700]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from bench.fixtures import SHARED_FIXTURES
from fhir_server.store.index_writer import table_rows
from resources import fhir_json
from resources.crypto import protection
from resources.crypto.blind import BlindIndex
from resources.crypto.keyring import Keyring
from resources.search.extract import extract_all
from resources.search.registry import default_registry

BUNDLES = SHARED_FIXTURES / "synthea-r4-smart-on-fhir" / "bundles"
EXAMPLES = SHARED_FIXTURES / "fhir-r4-examples" / "resources"
CHUNK = 20
PER_TYPE = 200
TYPES = ("Observation", "Patient", "ExplanationOfBenefit", "Claim")
Json = dict[str, Any]


def _relinked(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with every ``urn:uuid:`` reference replaced by the ``Type/id`` it names."""
    if isinstance(value, dict):
        return {key: _relinked(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_relinked(item, ids) for item in value]
    return ids.get(value, value) if isinstance(value, str) else value


def synthea_resources(bundles: int | None = None) -> list[Json]:
    """The entry resources of the first ``bundles`` Synthea Bundles (all by default), as a
    transaction stores them (each with an id, references relative)."""
    found: list[Json] = []
    for path in sorted(BUNDLES.glob("*.json"))[:bundles]:
        bundle = fhir_json.loads(path.read_bytes())
        ids: dict[str, str] = {}
        for entry in bundle["entry"]:
            resource = entry["resource"]
            id_ = entry["fullUrl"].rpartition(":")[2]
            ids[entry["fullUrl"]] = f"{resource['resourceType']}/{id_}"
            resource.setdefault("id", id_)
        found.extend(_relinked(entry["resource"], ids) for entry in bundle["entry"])
    return found


def example_resources() -> list[Json]:
    """The R4 examples (every resource type, some of them large)."""
    return [fhir_json.loads(path.read_bytes()) for path in sorted(EXAMPLES.glob("*.json"))]


def _protected() -> protection.Protection:
    keyring = Keyring()
    keyring.add(b"k" * 16, os.urandom(32))
    keyring.activate(b"k" * 16)
    return protection.Protection(keyring, BlindIndex(os.urandom(32)), b"i" * 16)


def best_ms(work: Callable[[Json], object], resources: Sequence[Json], runs: int) -> float:
    """CPU time per resource in ms: the least of ``runs`` passes for each slice of
    ``CHUNK`` resources, summed. On a shared machine short slices are more often left
    undisturbed than one long pass, so the sum of their minima is the steadier figure."""
    chunks = [resources[at : at + CHUNK] for at in range(0, len(resources), CHUNK)]
    best = [float("inf")] * len(chunks)
    for _ in range(runs):
        for index, chunk in enumerate(chunks):
            start = time.process_time()
            for resource in chunk:
                work(resource)
            best[index] = min(best[index], time.process_time() - start)
    return sum(best) * 1000 / len(resources)


def _rows(resource: Json) -> object:
    return table_rows(resource["resourceType"], resource["id"], resource, default_registry())


def groups(
    synthea: list[Json], mixed: int, examples: list[Json]
) -> Iterator[tuple[str, list[Json]]]:
    """The sets measured: the first ``mixed`` Synthea resources (every type, as the Bundles
    hold them), up to ``PER_TYPE`` of each type of ``TYPES`` (spread over every Bundle), the
    R4 examples."""
    yield "Synthea, all types", synthea[:mixed]
    for type_ in TYPES:
        of_type = [r for r in synthea if r["resourceType"] == type_]
        yield f"Synthea {type_}", of_type[:: max(1, len(of_type) // PER_TYPE)][:PER_TYPE]
    if examples:
        yield "R4 examples", examples


def main() -> None:
    """Print the table of figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--mixed", type=int, default=700, help="resources of the mixed set")
    args = parser.parse_args()
    if not BUNDLES.exists():
        raise SystemExit(f"{BUNDLES} is not here: the Synthea fixtures are needed")
    synthea = synthea_resources()
    examples = example_resources() if EXAMPLES.exists() else []
    protection.install(_protected())
    measured = list(groups(synthea, args.mixed, examples))
    for _, resources in measured:  # compile every expression once, outside the timing
        for resource in resources:
            _rows(resource)
    print(f"{'resources':<32}{'n':>6}{'extract_all ms':>16}{'table_rows ms':>15}")
    for name, resources in measured:
        extract_ms = best_ms(extract_all, resources, args.runs)
        rows_ms = best_ms(_rows, resources, args.runs)
        print(f"{name:<32}{len(resources):>6}{extract_ms:>16.3f}{rows_ms:>15.3f}")


if __name__ == "__main__":
    main()
