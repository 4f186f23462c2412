"""References between the entries of a transaction or batch Bundle.

https://hl7.org/fhir/R4/http.html#trules

Only ``reference`` keys (``Reference.reference``) are looked at and rewritten, at any depth:
nested elements, extensions and contained resources included. ``uri``-typed elements that
happen to equal an entry's fullUrl (``Attachment.url``, narrative links) are left as they are.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

PLACEHOLDER_PREFIXES = ("urn:uuid:", "urn:oid:")


def is_placeholder(value: str) -> bool:
    """A ``urn:uuid:`` or ``urn:oid:`` identifier of an entry that has no server id yet."""
    return value.startswith(PLACEHOLDER_PREFIXES)


def is_conditional(value: str) -> bool:
    """A conditional reference ``Type?search`` (resolved by searching, R4 3.1.0.11.2)."""
    head, question, _ = value.partition("?")
    return bool(question) and "/" not in head and ":" not in head and head[:1].isupper()


def references(value: Any) -> Iterator[str]:
    """Every ``reference`` string in a JSON value, depth first."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                yield item
            else:
                yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def reference_holders(value: Any) -> list[dict[str, Any]]:
    """Every object holding a ``reference`` string in a JSON value, depth first."""
    found: list[dict[str, Any]] = []
    _collect(value, found)
    return found


def _collect(value: Any, found: list[dict[str, Any]]) -> None:
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            found.append(value)
        for item in value.values():
            if isinstance(item, dict | list):
                _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list):
                _collect(item, found)


def rewrite_holders(holders: list[dict[str, Any]], mapping: Mapping[str, str]) -> None:
    """Replace, in place, each holder's ``reference`` found in ``mapping``."""
    for holder in holders:
        replaced = mapping.get(holder["reference"])
        if replaced is not None:
            holder["reference"] = replaced


def rewrite(value: Any, mapping: Mapping[str, str]) -> Any:
    """A copy of ``value`` with every ``reference`` found in ``mapping`` replaced."""
    if isinstance(value, dict):
        return {
            key: mapping.get(item, item)
            if key == "reference" and isinstance(item, str)
            else rewrite(item, mapping)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [rewrite(item, mapping) for item in value]
    return value
