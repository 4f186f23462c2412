"""The result-shaping parameters: ``_count``, ``_sort``, ``_include``/``_revinclude``,
``_total``, ``_summary``, ``_elements``, ``_contained``/``_containedType``.

https://hl7.org/fhir/R4/search.html#return. A malformed value is always an ``Invalid``
(NV-0023; an unknown ``_sort`` parameter NV-0024); a valid value this server does not handle
(``_contained=true``) raises ``Unsupported``.
"""

from __future__ import annotations

import re
from typing import Literal

from resources.error_codes import UNKNOWN_PARAMETER
from resources.errors import Invalid
from resources.resource_types import SERVED_TYPES
from resources.search.parse_errors import Unsupported, malformed
from resources.search.parse_param import Scope, describe, lookup
from resources.search.query import Include, SortKey, Summary, Total
from resources.search.registry import SearchRegistry

SORT_SPECIALS: tuple[Literal["_id", "_lastUpdated"], ...] = ("_id", "_lastUpdated")
TOTALS: dict[str, Total] = {"none": "none", "estimate": "estimate", "accurate": "accurate"}
SUMMARIES: dict[str, Summary] = {
    "true": "true",
    "text": "text",
    "data": "data",
    "count": "count",
    "false": "false",
}
CONTAINED_DEFAULTS = {"_contained": "false", "_containedType": "container"}
"""The only values accepted: contained resources are neither searched nor returned apart."""
INCLUDE_MODIFIERS = {None: False, "iterate": True, "recurse": True}
_ELEMENT = re.compile(r"^(?:[A-Z][A-Za-z]+\.)?[a-z][A-Za-z0-9]*$")
_COUNT = re.compile(r"^\d{1,9}$")


def parse_count(value: str, max_count: int) -> int:
    """``_count``: a non-negative integer, capped at ``max_count``."""
    if not _COUNT.match(value):
        raise malformed("_count", f"'{value}' is not a non-negative integer")
    return min(int(value), max_count)


def parse_total(value: str) -> Total:
    """``_total``: none, estimate or accurate."""
    total = TOTALS.get(value)
    if total is None:
        raise malformed("_total", f"'{value}' is not one of {', '.join(TOTALS)}")
    return total


def parse_summary(value: str) -> Summary:
    """``_summary``: true, text, data, count or false."""
    summary = SUMMARIES.get(value)
    if summary is None:
        raise malformed("_summary", f"'{value}' is not one of {', '.join(SUMMARIES)}")
    return summary


def parse_elements(value: str) -> tuple[str, ...]:
    """``_elements``: a comma list of element names (``name`` or ``Patient.name``)."""
    names = tuple(name.strip() for name in value.split(","))
    for name in names:
        if not _ELEMENT.match(name):
            raise malformed("_elements", f"'{name}' is not an element name")
    return names


def check_contained(name: str, value: str) -> None:
    """``_contained`` / ``_containedType``: only their defaults are supported."""
    if value != CONTAINED_DEFAULTS[name]:
        raise Unsupported(f"{name}={value} is not supported (only {CONTAINED_DEFAULTS[name]})")


def parse_sort(registry: SearchRegistry, scope: Scope, value: str) -> tuple[SortKey, ...]:
    """``_sort=a,-b``: keys in order, ``-`` for descending, on parameters of ``scope``."""
    return tuple(_sort_key(registry, scope, item.strip()) for item in value.split(","))


def _sort_key(registry: SearchRegistry, scope: Scope, item: str) -> SortKey:
    descending = item.startswith("-")
    code = item[1:] if descending else item
    for special in SORT_SPECIALS:
        if code == special:
            return SortKey(None, descending, special)
    if not code:
        raise malformed("_sort", "an empty sort key")
    param = lookup(registry, scope, code)
    if param is None:
        raise Invalid(f"_sort: unknown parameter '{code}' for {describe(scope)}", UNKNOWN_PARAMETER)
    if param.type in ("composite", "special") or param.expression is None:
        raise malformed("_sort", f"'{code}' ({param.type}) cannot be sorted on")
    return SortKey(param, descending)


def parse_include(
    registry: SearchRegistry, modifier: str | None, value: str, *, reverse: bool
) -> Include:
    """``Source:param[:Target]``, ``Source:*`` or ``*``; ``:iterate`` (or ``:recurse``)."""
    name = "_revinclude" if reverse else "_include"
    if modifier not in INCLUDE_MODIFIERS:
        raise malformed(name, f"':{modifier}' is not a modifier of {name} (use :iterate)")
    iterate = INCLUDE_MODIFIERS[modifier]
    if value == "*":
        return Include("*", None, None, reverse, iterate)
    parts = value.split(":")
    if len(parts) not in (2, 3) or parts[0] not in SERVED_TYPES:
        raise malformed(name, f"'{value}' is not Type:parameter[:TargetType] or *")
    source, code, target = parts[0], parts[1], (parts[2] if len(parts) == 3 else None)
    param = None if code == "*" else registry.get(source, code)
    if code != "*" and (param is None or param.type != "reference"):
        raise malformed(name, f"'{code}' is not a reference parameter of {source}")
    allowed = param.target if param else ()
    if target is not None and (target not in SERVED_TYPES or (allowed and target not in allowed)):
        raise malformed(name, f"{target} is not a target of {source}:{code}")
    return Include(source, param, target, reverse, iterate)


def include_reaches(include: Include, scope: Scope) -> bool:
    """Whether a non-iterating include can find anything for a search on ``scope``."""
    if include.iterate or not scope or include.source_type == "*":
        return True
    if not include.reverse:
        return include.source_type in scope
    targets = (include.param.target if include.param else ()) or scope
    return include.target_type in (*scope, None) and any(t in targets for t in scope)
