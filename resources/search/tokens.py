"""Token index values from code, Coding, CodeableConcept, Identifier, ContactPoint, boolean."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from resources.search.fhirpath import Json, Node
from resources.search.values import TokenValue

CONTACT_SYSTEMS = frozenset({"phone", "fax", "email", "pager", "url", "sms", "other"})


def token_values(node: Node, _resource: Json) -> list[TokenValue]:
    """The tokens of one item; the FHIR type decides, else the JSON shape does."""
    value = node.value
    if isinstance(value, bool):
        return [TokenValue(None, "true" if value else "false")]
    if isinstance(value, str | int | Decimal | float):
        return [TokenValue(None, str(value))] if str(value) else []
    if not isinstance(value, Mapping):
        return []
    kind = node.type or _shape(value)
    if kind == "CodeableReference":
        concept = value.get("concept")
        return codeable_concept(concept) if isinstance(concept, Mapping) else []
    handler = _HANDLERS.get(kind) if kind else None
    return handler(value) if handler else []


def codeable_concept(value: Mapping[str, Any]) -> list[TokenValue]:
    """One token per coding, and one text-only token for ``CodeableConcept.text``."""
    tokens = [token for c in _items(value.get("coding")) for token in coding(c)]
    text = _string(value.get("text"))
    if text:
        tokens.append(TokenValue(None, None, text))
    return tokens


def coding(value: Mapping[str, Any]) -> list[TokenValue]:
    """``system|code`` with the display for ``:text``."""
    system, code = _string(value.get("system")), _string(value.get("code"))
    display = _string(value.get("display"))
    return [TokenValue(system, code, display)] if system or code or display else []


def identifier(value: Mapping[str, Any]) -> list[TokenValue]:
    """``system|value``, ``type.text`` for ``:text``; one token per type coding (``:of-type``)."""
    system, code = _string(value.get("system")), _string(value.get("value"))
    if not (system or code):
        return []
    type_ = value.get("type")
    type_ = type_ if isinstance(type_, Mapping) else {}
    text = _string(type_.get("text"))
    codings = [c for c in _items(type_.get("coding")) if c.get("code")]
    if not codings:
        return [TokenValue(system, code, text)]
    return [
        TokenValue(system, code, text, _string(c.get("system")), _string(c.get("code")))
        for c in codings
    ]


def contact_point(value: Mapping[str, Any]) -> list[TokenValue]:
    """``ContactPoint.system|value`` (``phone|555...``), as HAPI and Medplum index it."""
    code = _string(value.get("value"))
    return [TokenValue(_string(value.get("system")), code)] if code else []


_HANDLERS = {
    "CodeableConcept": codeable_concept,
    "Coding": coding,
    "Identifier": identifier,
    "ContactPoint": contact_point,
}


def _shape(value: Mapping[str, Any]) -> str | None:
    """Guess the datatype of an untyped item from its keys (the engine lost the type)."""
    keys = set(value)
    if "coding" in keys or keys == {"text"}:
        return "CodeableConcept"
    if "concept" in keys:
        return "CodeableReference"
    if keys & {"code", "display", "version", "userSelected"}:
        return "Coding"
    if value.get("system") in CONTACT_SYSTEMS or "rank" in keys:
        return "ContactPoint"
    if keys & {"value", "system", "type", "assigner", "use", "period"}:
        return "Identifier"
    return None


def _items(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
