"""Build the compact copy of the FHIR R4 base definitions that ships in this package.

The spec's definition bundles (``profiles-resources.json``, ``profiles-types.json``,
``valuesets.json``: see ``../shared/fixtures/fhir-r4-definitions/SOURCE.md``) weigh about
50 MB. Validation and snapshot generation need only part of each element definition, and the
codes of the value sets that required bindings name, so this keeps those parts: about 1 MB
compressed, enough for a fresh clone to validate without the shared fixtures.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

KEPT_ELEMENT_KEYS = frozenset(
    {
        "id", "path", "sliceName", "short", "min", "max", "base", "type", "contentReference",
        "binding", "constraint", "slicing", "maxLength", "mustSupport", "isModifier",
        "isModifierReason", "definition", "isSummary",
    }
)  # fmt: skip
KEPT_SD_KEYS = ("resourceType", "id", "url", "name", "type", "kind", "abstract")
KEPT_SD_KEYS_OPTIONAL = ("baseDefinition", "derivation")
_PREFIXES = ("fixed", "pattern")
_BINDING_KEYS = ("strength", "description", "valueSet")


def _element(element: Mapping[str, Any]) -> dict[str, Any]:
    kept = {
        key: value
        for key, value in element.items()
        if key in KEPT_ELEMENT_KEYS or key.startswith(_PREFIXES)
    }
    if "constraint" in kept:
        kept["constraint"] = [_constraint(c) for c in kept["constraint"]]
    if "binding" in kept:
        # R4's binding elements only (R5 adds "additional")
        kept["binding"] = {k: v for k, v in kept["binding"].items() if k in _BINDING_KEYS}
    if "type" in kept:
        kept["type"] = [{k: v for k, v in t.items() if k != "_code"} for t in kept["type"]]
    return kept


R5_CONSTRAINTS = {
    "eld-17": "(code='Reference' or code = 'canonical' or code = 'CodeableReference') "
    "or targetProfile.empty()",
}
"""R4 constraints replaced by their R5 text, so that NutritionIntake's R5 definition (its
CodeableReference elements have target profiles) is a valid StructureDefinition here."""


def _constraint(constraint: Mapping[str, Any]) -> dict[str, Any]:
    kept = {k: constraint[k] for k in ("key", "severity", "human", "expression") if k in constraint}
    if kept.get("key") in R5_CONSTRAINTS:
        kept["expression"] = R5_CONSTRAINTS[str(kept["key"])]
    return kept


def compact_definition(definition: Mapping[str, Any]) -> dict[str, Any]:
    """A StructureDefinition with its snapshot cut to what validation reads."""
    compact = {key: definition[key] for key in KEPT_SD_KEYS}
    compact.update({k: definition[k] for k in KEPT_SD_KEYS_OPTIONAL if k in definition})
    compact["snapshot"] = {"element": [_element(e) for e in definition["snapshot"]["element"]]}
    return compact


def _load(path: Path) -> dict[str, Any]:
    if path.exists():
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    with gzip.open(path.with_name(path.name + ".gz"), "rt", encoding="utf-8") as handle:
        zipped: dict[str, Any] = json.load(handle)
        return zipped


def _resources(bundle: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in bundle.get("entry", []):
        yield entry["resource"]


def _concepts(concepts: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    for concept in concepts:
        yield concept["code"]
        yield from _concepts(concept.get("concept", []))


def _expand(
    value_set: Mapping[str, Any], systems: Mapping[str, list[str]]
) -> list[list[str]] | None:
    """The codes of a value set built from whole code systems or listed concepts; None when
    it uses filters or code systems the bundle does not hold (not enumerable here)."""
    codes: list[list[str]] = []
    compose = value_set.get("compose", {})
    if compose.get("exclude"):
        return None
    for include in compose.get("include", []):
        system = include.get("system")
        if "filter" in include or "valueSet" in include or system is None:
            return None
        if "concept" in include:
            codes.extend([system, c["code"]] for c in include["concept"])
        elif system in systems:
            codes.extend([system, code] for code in systems[system])
        else:
            return None
    return codes or None


def required_value_sets(
    definitions: Iterable[Mapping[str, Any]], value_sets: Iterable[Mapping[str, Any]]
) -> dict[str, list[list[str]]]:
    """``{value set url: [[system, code], ...]}`` for every value set that a required binding
    of ``definitions`` names and that can be enumerated from the bundle."""
    wanted = set()
    for definition in definitions:
        for element in definition["snapshot"]["element"]:
            binding = element.get("binding", {})
            if binding.get("strength") == "required" and "valueSet" in binding:
                wanted.add(str(binding["valueSet"]).split("|")[0])
    resources = list(value_sets)
    systems = {
        r["url"]: list(_concepts(r.get("concept", [])))
        for r in resources
        if r["resourceType"] == "CodeSystem" and r.get("content") == "complete"
    }
    expansions = {}
    for resource in resources:
        if resource["resourceType"] == "ValueSet" and resource["url"] in wanted:
            codes = _expand(resource, systems)
            if codes is not None:
                expansions[resource["url"]] = codes
    return expansions


CODEABLE_REFERENCE: dict[str, Any] = {
    "resourceType": "StructureDefinition",
    "id": "CodeableReference",
    "url": "http://hl7.org/fhir/StructureDefinition/CodeableReference",
    "name": "CodeableReference",
    "type": "CodeableReference",
    "kind": "complex-type",
    "abstract": False,
    "baseDefinition": "http://hl7.org/fhir/StructureDefinition/DataType",
    "derivation": "specialization",
    "snapshot": {
        "element": [
            {
                "id": "CodeableReference",
                "path": "CodeableReference",
                "min": 0,
                "max": "*",
                "definition": "A reference to a resource (by instance), or a concept (by class).",
            },
            {
                "id": "CodeableReference.id",
                "path": "CodeableReference.id",
                "min": 0,
                "max": "1",
                "type": [{"code": "http://hl7.org/fhirpath/System.String"}],
            },
            {
                "id": "CodeableReference.extension",
                "path": "CodeableReference.extension",
                "min": 0,
                "max": "*",
                "type": [{"code": "Extension"}],
            },
            {
                "id": "CodeableReference.concept",
                "path": "CodeableReference.concept",
                "min": 0,
                "max": "1",
                "type": [{"code": "CodeableConcept"}],
            },
            {
                "id": "CodeableReference.reference",
                "path": "CodeableReference.reference",
                "min": 0,
                "max": "1",
                "type": [{"code": "Reference"}],
            },
        ]
    },
}
"""The R5 data type NutritionIntake uses (https://hl7.org/fhir/R5/references.html#CodeableReference),
written out here because the R4 bundles do not have it."""


def _r5_nutrition_intake(r5_dir: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """NutritionIntake's R5 definition and its status value set and code system."""
    names = ("StructureDefinition-NutritionIntake.json",)
    terms = ("ValueSet-event-status.json", "CodeSystem-event-status.json")
    read = [json.loads((r5_dir / name).read_text(encoding="utf-8")) for name in names + terms]
    for element in read[0]["snapshot"]["element"]:  # R5 bindings carry "|5.0.0"
        if "binding" in element and "valueSet" in element["binding"]:
            element["binding"]["valueSet"] = element["binding"]["valueSet"].split("|")[0]
    return [read[0], CODEABLE_REFERENCE], read[1:]


def build(definitions_dir: Path, r5_dir: Path, target: Path) -> dict[str, int]:
    """Write the compact base (R4 definitions, NutritionIntake from R5, and the value sets of
    required bindings) to ``target``."""
    definitions = [
        resource
        for name in ("profiles-types.json", "profiles-resources.json")
        for resource in _resources(_load(definitions_dir / name))
        if resource["resourceType"] == "StructureDefinition" and "snapshot" in resource
    ]
    r5_definitions, r5_terms = _r5_nutrition_intake(r5_dir)
    definitions += r5_definitions
    value_sets = [*_resources(_load(definitions_dir / "valuesets.json")), *r5_terms]
    document = {
        "structureDefinitions": [compact_definition(d) for d in definitions],
        "valueSets": required_value_sets(definitions, value_sets),
    }
    payload = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    target.write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))
    return {
        "structureDefinitions": len(document["structureDefinitions"]),
        "valueSets": len(document["valueSets"]),
        "bytes": target.stat().st_size,
    }
