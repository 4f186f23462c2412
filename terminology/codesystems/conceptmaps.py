"""Concept map translation: a code in a source system to codes in target systems.

https://hl7.org/fhir/R4/conceptmap-operation-translate.html. Groups whose ``source`` is the
code's system (and ``target`` the asked target system, if any) are searched; ``reverse`` looks
the code up among the targets. ``unmapped`` (provided, fixed) applies when no element matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Json = Mapping[str, Any]

NOT_A_MATCH = frozenset({"unmatched", "disjoint"})
_REVERSED = {
    "wider": "narrower",
    "narrower": "wider",
    "subsumes": "specializes",
    "specializes": "subsumes",
}


@dataclass(frozen=True, slots=True)
class Match:
    """One translation: equivalence, the concept, and the map it came from."""

    equivalence: str
    system: str | None
    code: str | None
    display: str | None
    source: str
    comment: str | None = None

    @property
    def positive(self) -> bool:
        """The match says the concepts correspond (not ``unmatched`` or ``disjoint``)."""
        return self.equivalence not in NOT_A_MATCH

    def to_parameter(self) -> dict[str, Any]:
        """The ``match`` output parameter."""
        coding: dict[str, Any] = {}
        for key, value in (("system", self.system), ("code", self.code), ("display", self.display)):
            if value:
                coding[key] = value
        parts: list[dict[str, Any]] = [{"name": "equivalence", "valueCode": self.equivalence}]
        if coding:
            parts.append({"name": "concept", "valueCoding": coding})
        parts.append({"name": "source", "valueUri": self.source})
        if self.comment:
            parts.append({"name": "comment", "valueString": self.comment})
        return {"name": "match", "part": parts}


@dataclass(frozen=True)
class Request:
    """What to translate and the optional scope of the search."""

    code: str
    system: str | None = None
    source_value_set: str | None = None
    target_value_set: str | None = None
    target_system: str | None = None
    reverse: bool = False


def _scope(concept_map: Json, key: str) -> str | None:
    value = concept_map.get(f"{key}Uri") or concept_map.get(f"{key}Canonical")
    return str(value) if value else None


def candidate_maps(maps: Iterable[Json], request: Request) -> list[Json]:
    """The maps whose source and target value sets agree with the request."""
    chosen = []
    for concept_map in maps:
        source, target = _scope(concept_map, "source"), _scope(concept_map, "target")
        if request.reverse:
            source, target = target, source
        if request.source_value_set and source != request.source_value_set:
            continue
        if request.target_value_set and target != request.target_value_set:
            continue
        chosen.append(concept_map)
    return chosen


def translate(maps: Iterable[Json], request: Request) -> list[Match]:
    """Every match of the request's code in ``maps``."""
    matches: list[Match] = []
    for concept_map in maps:
        url = str(concept_map.get("url") or f"ConceptMap/{concept_map.get('id')}")
        for group in concept_map.get("group", []):
            from_system, to_system = group.get("source"), group.get("target")
            if request.reverse:
                from_system, to_system = to_system, from_system
            if request.system and from_system and from_system != request.system:
                continue
            if request.target_system and to_system != request.target_system:
                continue
            found = (_reverse if request.reverse else _forward)(group, request.code, to_system, url)
            matches.extend(found or _unmapped(group, request, url))
    return matches


def _forward(group: Json, code: str, to_system: str | None, url: str) -> list[Match]:
    found = []
    for element in group.get("element", []):
        if element.get("code") != code:
            continue
        for target in element.get("target", []) or [{"equivalence": "unmatched"}]:
            found.append(
                Match(str(target.get("equivalence", "equivalent")), to_system,
                      target.get("code"), target.get("display"), url, target.get("comment"))
            )  # fmt: skip
    return found


def _reverse(group: Json, code: str, to_system: str | None, url: str) -> list[Match]:
    found = []
    for element in group.get("element", []):
        for target in element.get("target", []):
            if target.get("code") != code:
                continue
            equivalence = str(target.get("equivalence", "equivalent"))
            found.append(
                Match(_REVERSED.get(equivalence, equivalence), to_system, element.get("code"),
                      element.get("display"), url, target.get("comment"))
            )  # fmt: skip
    return found


def _unmapped(group: Json, request: Request, url: str) -> list[Match]:
    unmapped = group.get("unmapped")
    if request.reverse or not isinstance(unmapped, Mapping):
        return []
    if unmapped.get("mode") == "provided":
        return [Match("equal", request.system, request.code, None, url)]
    if unmapped.get("mode") == "fixed" and unmapped.get("code"):
        target = group.get("target")
        return [Match("inexact", target, unmapped["code"], unmapped.get("display"), url)]
    return []
