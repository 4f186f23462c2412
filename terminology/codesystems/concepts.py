"""A code system in memory: concepts by code, their hierarchy, properties and status.

https://hl7.org/fhir/R4/codesystem.html. Built from a CodeSystem resource (nested ``concept``
elements, or the ``parent``/``child``/``subsumedBy`` properties) or from plain rows (ICD-10-CM).
Subsumption follows the hierarchy: ``is_a(a, b)`` is true when ``b`` is ``a`` or an ancestor.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

_PARENT_PROPERTIES = frozenset({"parent", "subsumedBy"})
_INACTIVE_STATUS = frozenset({"retired", "inactive", "deprecated"})


@dataclass(frozen=True, slots=True)
class Concept:
    """One concept: code, display, definition, parents, properties and flags."""

    code: str
    display: str | None = None
    definition: str | None = None
    parents: tuple[str, ...] = ()
    properties: tuple[dict[str, Any], ...] = ()
    """``CodeSystem.concept.property`` elements as JSON (``code`` and one ``value[x]``)."""
    designations: tuple[dict[str, Any], ...] = ()
    inactive: bool = False
    abstract: bool = False
    """Not selectable: a grouper (an ICD-10-CM block, a ``notSelectable`` concept)."""

    def property_values(self, name: str) -> list[Any]:
        """The values of the properties called ``name`` (codes, strings, booleans ...)."""
        return [property_value(p) for p in self.properties if p.get("code") == name]


def property_value(prop: Mapping[str, Any]) -> Any:
    """The ``value[x]`` of a property element."""
    for key, value in prop.items():
        if key.startswith("value"):
            return value
    return None


@dataclass
class CodeSystemIndex:
    """A code system's concepts with child links, ready for lookup and subsumption."""

    url: str
    version: str | None = None
    name: str | None = None
    title: str | None = None
    content: str = "complete"
    case_sensitive: bool = True
    property_defs: tuple[dict[str, Any], ...] = ()
    concepts: dict[str, Concept] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    resource_id: str | None = None
    _folded: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_concepts(cls, url: str, concepts: Iterable[Concept], **meta: Any) -> CodeSystemIndex:
        """An index of ``concepts`` (parents given on each concept)."""
        index = cls(url, **meta)
        for concept in concepts:
            index.concepts[concept.code] = concept
        index.link()
        return index

    def link(self) -> None:
        """Compute child lists (and the case-folded lookup table) from the parents."""
        self.children = {}
        for concept in self.concepts.values():
            for parent in concept.parents:
                self.children.setdefault(parent, []).append(concept.code)
        if not self.case_sensitive:
            self._folded = {code.lower(): code for code in self.concepts}

    @property
    def complete(self) -> bool:
        """True when every code of the system is here, so an absent code is invalid."""
        return self.content == "complete"

    def get(self, code: str) -> Concept | None:
        """The concept with this code (case-insensitively when the system says so)."""
        concept = self.concepts.get(code)
        if concept is None and self._folded:
            original = self._folded.get(code.lower())
            concept = self.concepts.get(original) if original else None
        return concept

    def __iter__(self) -> Iterator[Concept]:
        return iter(self.concepts.values())

    def __len__(self) -> int:
        return len(self.concepts)

    def ancestors(self, code: str) -> set[str]:
        """Every code above ``code`` in the hierarchy (not ``code`` itself)."""
        seen: set[str] = set()
        stack = list(self._parents_of(code))
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self._parents_of(current))
        return seen

    def descendants(self, code: str) -> list[str]:
        """Every code below ``code``, depth first in the order of the source."""
        found: list[str] = []
        seen: set[str] = set()
        stack = list(reversed(self.children.get(code, [])))
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            found.append(current)
            stack.extend(reversed(self.children.get(current, [])))
        return found

    def is_a(self, code: str, ancestor: str) -> bool:
        """``code`` is ``ancestor`` or one of its descendants."""
        return code == ancestor or ancestor in self.ancestors(code)

    def is_leaf(self, code: str) -> bool:
        """No concept has ``code`` as its parent."""
        return not self.children.get(code)

    def _parents_of(self, code: str) -> tuple[str, ...]:
        concept = self.concepts.get(code)
        return concept.parents if concept else ()


def index_from_resource(resource: Mapping[str, Any]) -> CodeSystemIndex:
    """An index of a CodeSystem resource (nested concepts and parent/child properties)."""
    index = CodeSystemIndex(
        url=str(resource.get("url", "")),
        version=resource.get("version"),
        name=resource.get("name"),
        title=resource.get("title"),
        content=str(resource.get("content", "complete")),
        case_sensitive=bool(resource.get("caseSensitive", True)),
        property_defs=tuple(resource.get("property", [])),
        resource_id=resource.get("id"),
    )
    extra_parents: dict[str, list[str]] = {}
    for concept_json, parent in _walk(resource.get("concept", []), None):
        concept = _concept(concept_json, parent)
        index.concepts[concept.code] = concept
        for child in concept.property_values("child"):
            extra_parents.setdefault(str(child), []).append(concept.code)
    for code, parents in extra_parents.items():
        _add_parents(index, code, parents)
    index.link()
    return index


def _walk(
    concepts: Iterable[Mapping[str, Any]], parent: str | None
) -> Iterator[tuple[Mapping[str, Any], str | None]]:
    for concept in concepts:
        if not isinstance(concept, Mapping) or not isinstance(concept.get("code"), str):
            continue
        yield concept, parent
        yield from _walk(concept.get("concept", []), concept["code"])


def _concept(data: Mapping[str, Any], nested_parent: str | None) -> Concept:
    properties = tuple(p for p in data.get("property", []) if isinstance(p, Mapping))
    parents = [nested_parent] if nested_parent else []
    for prop in properties:
        if prop.get("code") in _PARENT_PROPERTIES and property_value(prop) not in parents:
            parents.append(str(property_value(prop)))
    values = {str(p.get("code")): property_value(p) for p in properties}
    inactive = values.get("inactive") is True or values.get("status") in _INACTIVE_STATUS
    inactive = inactive or values.get("deprecated") is True
    abstract = values.get("notSelectable") is True or values.get("abstract") is True
    return Concept(
        code=data["code"],
        display=data.get("display"),
        definition=data.get("definition"),
        parents=tuple(parents),
        properties=tuple(dict(p) for p in properties),
        designations=tuple(dict(d) for d in data.get("designation", [])),
        inactive=inactive,
        abstract=abstract,
    )


def _add_parents(index: CodeSystemIndex, code: str, parents: list[str]) -> None:
    concept = index.concepts.get(code)
    if concept is None:
        return
    merged = tuple(dict.fromkeys((*concept.parents, *parents)))
    index.concepts[code] = Concept(
        concept.code,
        concept.display,
        concept.definition,
        merged,
        concept.properties,
        concept.designations,
        concept.inactive,
        concept.abstract,
    )
