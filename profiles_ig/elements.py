"""A StructureDefinition's snapshot indexed for validation: children and slices by element id."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Element = Mapping[str, Any]

PRIMITIVES = frozenset(
    {
        "base64Binary", "boolean", "canonical", "code", "date", "dateTime", "decimal", "id",
        "instant", "integer", "markdown", "oid", "positiveInt", "string", "time",
        "unsignedInt", "uri", "url", "uuid", "xhtml",
    }
)  # fmt: skip
"""The FHIR primitive types (https://hl7.org/fhir/R4/datatypes.html#primitive)."""


def is_primitive(type_code: str) -> bool:
    """True for a primitive type code (including the ``System.*`` codes of ids and urls)."""
    return type_code in PRIMITIVES or type_code.startswith("http://hl7.org/fhirpath/System.")


def json_suffix(type_code: str) -> str:
    """The suffix a choice element takes in JSON: ``dateTime`` -> ``DateTime``."""
    return type_code[0].upper() + type_code[1:]


@dataclass
class ElementIndex:
    """The elements of one snapshot: each element's direct children and its slices."""

    url: str
    type: str
    root: Element
    children: dict[str, list[Element]] = field(default_factory=dict)
    slices: dict[str, list[Element]] = field(default_factory=dict)
    by_id: dict[str, Element] = field(default_factory=dict)

    @property
    def root_id(self) -> str:
        """The id of the snapshot's first element (the type itself)."""
        return str(self.root["id"])


def index_snapshot(definition: Mapping[str, Any]) -> ElementIndex:
    """Index ``definition``'s snapshot."""
    elements = definition["snapshot"]["element"]
    index = ElementIndex(str(definition["url"]), str(definition["type"]), elements[0])
    for element in elements:
        element_id = str(element["id"])
        index.by_id[element_id] = element
        head, _, last = element_id.rpartition(".")
        if not head:
            continue
        name, colon, _slice = last.partition(":")
        if colon:
            index.slices.setdefault(f"{head}.{name}", []).append(element)
        else:
            index.children.setdefault(head, []).append(element)
    return index
