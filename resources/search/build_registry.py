"""Build the shipped search registry from the official definitions (run by hand, once per update).

    python -m resources.search.build_registry [--fixtures ../shared/fixtures] [--out PATH]

Inputs (both CC0-1.0, see their SOURCE.md):
- ``fhir-r4-definitions/search-parameters.json``: the 1,375 R4 (4.0.1) SearchParameters;
- ``fhir-r5-nutritionintake/SearchParameter-*.json``: NutritionIntake's, from R5 5.0.0. Of the
  multi-base R5 ``clinical-*`` ones only the NutritionIntake branch is kept, added as one more
  base to the R4 parameter of the same URL (R4's own branches are never replaced by R5's);
- ``fhir-r4-definitions/compartmentdefinition-*.json``: the five R4 compartments (not ``example``).

Output: ``resources/search/data/search-registry.json.gz``, the compact form of each parameter
(``param_def.param_to_json``) and, per compartment, per resource type, the linking parameter codes.
The runtime reads only that file, never ``../shared``.
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from resources.resource_types import SERVED_TYPES
from resources.search.expressions import leading_name, split_union
from resources.search.param_def import param_from_json, param_to_json
from resources.search.registry import DATA_FILE

NUTRITION_INTAKE = "NutritionIntake"
COMPARTMENTS = ("patient", "encounter", "relatedPerson", "practitioner", "device")
NUTRITION_INTAKE_COMPARTMENTS: dict[str, list[str]] = {
    # R4 has no NutritionIntake; these follow its R5 parameters (subject, encounter).
    "Patient": ["subject"],
    "Encounter": ["encounter"],
}


def r4_parameters(definitions: Path) -> list[dict[str, Any]]:
    """Every SearchParameter of the R4 bundle, in bundle order."""
    bundle = json.loads((definitions / "search-parameters.json").read_text(encoding="utf-8"))
    return [entry["resource"] for entry in bundle["entry"]]


def nutrition_intake_branch(parameter: dict[str, Any]) -> str:
    """The union branches of an R5 expression that belong to NutritionIntake."""
    branches = split_union(parameter["expression"])
    own = [branch for branch in branches if leading_name(branch) == NUTRITION_INTAKE]
    if not own:
        raise ValueError(f"{parameter['url']}: no NutritionIntake branch")
    return " | ".join(own)


def add_nutrition_intake(
    parameters: list[dict[str, Any]], r5_parameters: Iterable[dict[str, Any]]
) -> None:
    """Merge NutritionIntake's R5 parameters into the R4 list (in place)."""
    by_url = {parameter["url"]: parameter for parameter in parameters}
    for r5 in r5_parameters:
        branch = nutrition_intake_branch(r5)
        targets = [t for t in r5.get("target", []) if t in SERVED_TYPES]
        existing = by_url.get(r5["url"])
        if existing is None:
            parameters.append(
                {**r5, "base": [NUTRITION_INTAKE], "expression": branch, "target": targets}
            )
            continue
        if existing["type"] != r5["type"]:
            raise ValueError(f"{r5['url']}: type {r5['type']} in R5, {existing['type']} in R4")
        existing["base"] = [*existing["base"], NUTRITION_INTAKE]
        existing["expression"] = f"{existing['expression']} | {branch}"
        if targets or existing.get("target"):
            existing["target"] = sorted({*existing.get("target", []), *targets})


def compartments(definitions: Path) -> dict[str, dict[str, list[str]]]:
    """Per compartment type, per resource type, the parameter codes linking to it."""
    result: dict[str, dict[str, list[str]]] = {}
    for name in COMPARTMENTS:
        path = definitions / f"compartmentdefinition-{name}.json"
        definition = json.loads(path.read_text(encoding="utf-8"))
        members = {r["code"]: list(r["param"]) for r in definition["resource"] if r.get("param")}
        result[definition["code"]] = members
    for compartment, codes in NUTRITION_INTAKE_COMPARTMENTS.items():
        result[compartment][NUTRITION_INTAKE] = codes
    return result


def build(fixtures: Path) -> dict[str, Any]:
    """The registry document: compact parameters (validated by parsing them) and compartments."""
    definitions = fixtures / "fhir-r4-definitions"
    parameters = r4_parameters(definitions)
    r5_files = sorted((fixtures / "fhir-r5-nutritionintake").glob("SearchParameter-*.json"))
    add_nutrition_intake(parameters, (json.loads(p.read_text("utf-8")) for p in r5_files))
    compact = [param_to_json(param_from_json(parameter)) for parameter in parameters]
    return {
        "fhirVersion": "4.0.1",
        "sources": [
            "hl7.fhir.r4.examples@4.0.1 Bundle-searchParams.json (CC0-1.0)",
            "hl7.fhir.r5.core@5.0.0 SearchParameter-*.json with base NutritionIntake (CC0-1.0)",
            "hl7.fhir.r4.examples@4.0.1 CompartmentDefinition-*.json (CC0-1.0)",
        ],
        "parameters": compact,
        "compartments": compartments(definitions),
    }


def write(document: dict[str, Any], out: Path) -> int:
    """Write gzip'd compact JSON, byte-for-byte reproducible (mtime 0); return its size."""
    raw = json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8")
    out.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    return out.stat().st_size


def main() -> None:
    """Command-line entry: build from the fixtures folder and write the data file."""
    default_fixtures = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--fixtures", type=Path, default=default_fixtures)
    parser.add_argument("--out", type=Path, default=DATA_FILE)
    args = parser.parse_args()
    document = build(args.fixtures)
    size = write(document, args.out)
    print(f"{len(document['parameters'])} parameters, {size} bytes -> {args.out}")


if __name__ == "__main__":
    main()
