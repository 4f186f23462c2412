"""``_summary`` and ``_elements``: the stored JSON cut down to the asked elements.

https://hl7.org/fhir/R4/search.html#summary and #elements. ``true`` keeps the elements marked
isSummary, ``text`` keeps ``text`` and the mandatory elements, ``data`` drops ``text``;
``_elements`` keeps the named elements and the mandatory ones. ``resourceType``, ``id`` and
``meta`` always stay, and a cut-down resource carries the SUBSETTED tag in ``meta.tag``.
The search applies ``_summary`` to every entry and ``_elements`` to the matches only (its
names are elements of the searched type).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fhir_server.store.element_sets import MANDATORY, SUMMARY
from resources import fhir_json
from resources.search.query import Summary

SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
    "display": "Resource encoded in summary mode",
}
ALWAYS = frozenset({"resourceType", "id", "meta"})


@cache
def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _element_of(key: str) -> tuple[str, str | None]:
    """The element a JSON key belongs to, and its choice form (``valueQuantity`` ->
    ``value[x]``); ``_birthDate`` (a primitive's extensions) belongs to ``birthDate``."""
    name = key.removeprefix("_")
    for position, char in enumerate(name):
        if char.isupper():
            return name, f"{name[:position]}[x]"
    return name, None


def _kept(data: dict[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in data.items():
        name, choice = _element_of(key)
        if key in ALWAYS or name in allowed or choice in allowed:
            kept[key] = value
    return kept


def allowed_elements(
    resource_type: str, summary: Summary, elements: tuple[str, ...]
) -> frozenset[str] | None:
    """The top-level elements to keep, or None to keep the resource whole."""
    mandatory = _names(MANDATORY.get(resource_type, ""))
    if summary == "true":
        return mandatory | _names(SUMMARY.get(resource_type, ""))
    if summary == "text":
        return mandatory | {"text"}
    if summary == "data" or not elements:
        return None
    named = set()
    for element in elements:
        owner, dot, name = element.rpartition(".")
        if not dot or owner == resource_type:
            named.add(name)
    return mandatory | named


def subset(body: bytes, resource_type: str, summary: Summary, elements: tuple[str, ...]) -> bytes:
    """The resource JSON as ``_summary``/``_elements`` ask (``body`` itself when whole)."""
    if summary in ("false", "count") and not elements:
        return body
    data = fhir_json.loads(body)
    allowed = allowed_elements(resource_type, summary, elements)
    if allowed is not None:
        data = _kept(data, allowed)
    else:
        data.pop("text", None)
    meta = dict(data.get("meta") or {})
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    return fhir_json.dumps({**data, "meta": meta})
