"""Reference and uri index values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from resources.search.fhirpath import Json, Node
from resources.search.values import ReferenceValue, UriValue

_RELATIVE = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/([^/]+))?$")
_ABSOLUTE_TAIL = re.compile(r"/([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/([^/]+))?$")


def reference_values(node: Node, resource: Json) -> list[ReferenceValue]:
    """A Reference (or CodeableReference.reference), a canonical/uri, or an inline resource.

    Bundle's ``composition`` and ``message`` parameters select the entry resource itself; it is
    indexed as a reference to its type and id.
    """
    value = node.value
    if isinstance(value, str):
        return [canonical(value)] if value else []
    if not isinstance(value, Mapping):
        return []
    nested = value.get("reference")
    if isinstance(nested, Mapping):  # a CodeableReference
        return reference_values(Node(nested, "Reference", nested), resource)
    if isinstance(value.get("resourceType"), str):  # a resource itself (Bundle.entry.resource)
        id_ = value.get("id")
        return [ReferenceValue(value["resourceType"], id_ if isinstance(id_, str) else None)]
    found = reference(value, resource)
    return [found] if found else []


def reference(value: Mapping[str, Any], resource: Json) -> ReferenceValue | None:
    """The parts of one Reference; None when it has neither reference nor identifier."""
    text = value.get("reference")
    declared = value.get("type") if isinstance(value.get("type"), str) else None
    system, ident = _identifier(value.get("identifier"))
    if isinstance(text, str) and text:
        found = _literal(text, resource)
        return ReferenceValue(
            found.target_type or declared, found.target_id, found.version, found.url, system, ident
        )
    if system or ident:
        return ReferenceValue(declared, None, None, None, system, ident)
    return None


def canonical(text: str) -> ReferenceValue:
    """A canonical ``url|version`` (or a plain uri): url and version, no local target."""
    url, _, version = text.partition("|")
    return ReferenceValue(None, None, version or None, url)


def uri_values(node: Node, _resource: Json) -> list[UriValue]:
    """A uri, url or canonical primitive as written."""
    value = node.value
    return [UriValue(value)] if isinstance(value, str) and value else []


def _literal(text: str, resource: Json) -> ReferenceValue:
    if text.startswith("#"):
        return ReferenceValue(_contained_type(text[1:], resource), None, None, text)
    relative = _RELATIVE.match(text)
    if relative:
        return ReferenceValue(relative.group(1), relative.group(2), relative.group(3))
    tail = _ABSOLUTE_TAIL.search(text) if "://" in text else None
    if tail:
        return ReferenceValue(tail.group(1), tail.group(2), tail.group(3), text)
    return ReferenceValue(None, None, None, text)


def _contained_type(id_: str, resource: Json) -> str | None:
    for contained in resource.get("contained", []):
        if isinstance(contained, Mapping) and contained.get("id") == id_:
            type_ = contained.get("resourceType")
            return type_ if isinstance(type_, str) else None
    return None


def _identifier(value: object) -> tuple[str | None, str | None]:
    if not isinstance(value, Mapping):
        return None, None
    system, ident = value.get("system"), value.get("value")
    return (system if isinstance(system, str) else None), (
        ident if isinstance(ident, str) else None
    )
