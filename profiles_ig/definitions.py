"""The definitions validation works with: the R4 base (a compact copy shipped in ``data/``)
and our guide's resources (``source/``), with snapshots generated once per process."""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from profiles_ig.canonical import HL7_SD
from profiles_ig.snapshot import with_snapshot

DATA_DIR = Path(__file__).parent / "data"
SOURCE_DIR = Path(__file__).parent / "source"
BASE_FILE = DATA_DIR / "r4-base.json.gz"


@dataclass
class Definitions:
    """StructureDefinitions by URL, enumerated value sets, and our guide's resources."""

    structures: dict[str, dict[str, Any]] = field(default_factory=dict)
    value_sets: dict[str, frozenset[tuple[str, str]]] = field(default_factory=dict)
    guide: list[dict[str, Any]] = field(default_factory=list)

    def structure(self, url_or_type: str) -> dict[str, Any] | None:
        """A StructureDefinition with its snapshot, by canonical URL or base type name."""
        key = url_or_type.split("|")[0]
        if "/" not in key and ":" not in key:  # a type name, not a URL or URN
            key = HL7_SD + key
        return self.structures.get(key)

    def resolve(self, url_or_type: str) -> Mapping[str, Any] | None:
        """``structure`` as a snapshot resolver (generates our snapshots on first use)."""
        return self.structure(url_or_type)

    def guide_resource(self, resource_type: str, id_: str) -> dict[str, Any] | None:
        """One of our guide's resources by type and id."""
        for resource in self.guide:
            if resource["resourceType"] == resource_type and resource["id"] == id_:
                return resource
        return None

    def guide_of_type(self, resource_type: str) -> Iterator[dict[str, Any]]:
        """Our guide's resources of one type."""
        return (r for r in self.guide if r["resourceType"] == resource_type)


def _read_base() -> dict[str, Any]:
    with gzip.open(BASE_FILE, "rt", encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
        return data


def _read_source() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(SOURCE_DIR.glob("*.json"))]


def _concepts(concepts: list[dict[str, Any]]) -> Iterator[str]:
    for concept in concepts:
        yield concept["code"]
        yield from _concepts(concept.get("concept", []))


def _our_value_sets(guide: list[dict[str, Any]]) -> dict[str, frozenset[tuple[str, str]]]:
    """Expansions of our value sets that include whole code systems of ours."""
    systems = {
        r["url"]: frozenset(_concepts(r.get("concept", [])))
        for r in guide
        if r["resourceType"] == "CodeSystem"
    }
    expansions = {}
    for resource in guide:
        if resource["resourceType"] != "ValueSet":
            continue
        includes = resource.get("compose", {}).get("include", [])
        if all(i.get("system") in systems and "filter" not in i for i in includes):
            expansions[resource["url"]] = frozenset(
                (i["system"], code) for i in includes for code in systems[i["system"]]
            )
    return expansions


RESOURCE_TYPES_VS = "http://hl7.org/fhir/ValueSet/resource-types"
R5_SERVED = (("http://hl7.org/fhir/resource-types", "NutritionIntake"),)


def _serve_r5_types(value_sets: dict[str, frozenset[tuple[str, str]]]) -> None:
    """This server's resource types include NutritionIntake (R5): a CapabilityStatement or a
    SearchParameter naming it is valid here, though R4's list of types lacks it."""
    if RESOURCE_TYPES_VS in value_sets:
        value_sets[RESOURCE_TYPES_VS] = value_sets[RESOURCE_TYPES_VS] | frozenset(R5_SERVED)


def load_definitions(extra: list[dict[str, Any]] | None = None) -> Definitions:
    """The base, our guide (with generated snapshots) and any ``extra`` StructureDefinitions
    (with differentials, e.g. another guide's profiles) in one set."""
    base = _read_base()
    guide = _read_source()
    definitions = Definitions(
        structures={sd["url"]: sd for sd in base["structureDefinitions"]},
        value_sets={
            url: frozenset((system, code) for system, code in codes)
            for url, codes in base["valueSets"].items()
        },
    )
    definitions.value_sets.update(_our_value_sets(guide))
    _serve_r5_types(definitions.value_sets)
    pending = [r for r in [*guide, *(extra or [])] if r["resourceType"] == "StructureDefinition"]
    for profile in _base_first(pending):
        definitions.structures[profile["url"]] = with_snapshot(profile, definitions.resolve)
    definitions.guide = [
        definitions.structures.get(r["url"], r) if r["resourceType"] == "StructureDefinition" else r
        for r in guide
    ]
    return definitions


def _base_first(profiles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Profiles ordered so that a profile's base (if it is one of them) comes before it; an
    extension comes before the profiles that use it, so their slices can expand it."""
    urls = {p["url"] for p in profiles}
    ordered: list[dict[str, Any]] = []
    remaining = sorted(profiles, key=lambda p: p["type"] != "Extension")
    while remaining:
        ready = [
            p for p in remaining if p["baseDefinition"] not in urls - {o["url"] for o in ordered}
        ]
        if not ready:
            raise ValueError("Profiles derive from each other in a cycle")
        ordered.extend(ready)
        remaining = [p for p in remaining if p not in ready]
    return ordered


@functools.cache
def default_definitions() -> Definitions:
    """The definitions of this server, loaded once per process."""
    return load_definitions()
