"""String index values: normalisation and the string parts of HumanName and Address."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from resources.search.fhirpath import Json, Node
from resources.search.values import StringValue

NAME_PARTS = ("family", "given", "prefix", "suffix", "text")
ADDRESS_PARTS = ("line", "city", "district", "state", "postalCode", "country", "text")
_PARTS = tuple(dict.fromkeys(NAME_PARTS + ADDRESS_PARTS))


def normalise(text: str) -> str:
    """Lowercase with accents stripped: NFKD, then combining marks dropped (``É`` -> ``e``).

    The query side must apply the same function to the searched text. ASCII text (the usual
    case) has no decompositions nor combining marks, so it is only lowercased.
    """
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def string_value(text: str) -> StringValue:
    """The index value of one piece of text."""
    return StringValue(normalise(text), text)


def string_values(node: Node, _resource: Json) -> list[StringValue]:
    """A string-like primitive as itself; HumanName and Address as their string parts.

    The parts are those the search specification names: for a name family, given, prefix,
    suffix and text; for an address line, city, district, state, postalCode, country and text.
    """
    value = node.value
    if isinstance(value, str):
        return [string_value(value)] if value else []
    if isinstance(value, Mapping):
        return [string_value(text) for text in _parts(value) if text]
    return []


def _parts(value: Mapping[str, object]) -> list[str]:
    texts: list[str] = []
    for key in _PARTS:
        part = value.get(key)
        if isinstance(part, str):
            texts.append(part)
        elif isinstance(part, list):
            texts.extend(item for item in part if isinstance(item, str))
    return texts
