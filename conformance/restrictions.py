"""Types served by routes of their own rather than the REST core: what they really support.

The statement is built for the REST core, which serves every type alike. A type whose area
answers it itself (AuditEvent: an append-only table, read and searched by the audit routes)
hands its ``Restriction`` to ``capability_statement``, so the statement claims no more than
those routes do; the area keeps it next to its routes, where a change to one shows in the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_WRITE_CLAIMS = ("updateCreate", "conditionalCreate", "conditionalUpdate", "conditionalDelete")


@dataclass(frozen=True)
class Restriction:
    """The interactions and search parameter codes a type's own routes serve."""

    interactions: tuple[str, ...]
    search_params: tuple[str, ...]


def _restricted_entry(entry: Mapping[str, Any], restriction: Restriction) -> dict[str, Any]:
    kept = {k: v for k, v in entry.items() if k not in _WRITE_CLAIMS}
    kept["interaction"] = [i for i in entry["interaction"] if i["code"] in restriction.interactions]
    kept["readHistory"] = False
    kept["conditionalRead"] = "not-supported"
    params = [p for p in entry.get("searchParam", []) if p["name"] in restriction.search_params]
    kept.pop("searchParam", None)
    if params:
        kept["searchParam"] = params
    kept.pop("searchInclude", None)  # the own routes answer no _include or _revinclude
    kept.pop("searchRevInclude", None)
    return kept


def _without_revincludes_of(entry: Mapping[str, Any], types: frozenset[str]) -> dict[str, Any]:
    """The entry without ``_revinclude`` values naming a restricted type: its resources are not
    in the store that ``_revinclude`` reads."""
    kept = dict(entry)
    revincludes = [r for r in entry.get("searchRevInclude", []) if r.split(":")[0] not in types]
    kept.pop("searchRevInclude", None)
    if revincludes:
        kept["searchRevInclude"] = revincludes
    return kept


def restrict(rest: Mapping[str, Any], restrictions: Mapping[str, Restriction]) -> dict[str, Any]:
    """The ``rest`` part with each restricted type's entry reduced to what its routes serve."""
    types = frozenset(restrictions)
    entries = [
        _restricted_entry(entry, restrictions[entry["type"]])
        if entry["type"] in restrictions
        else _without_revincludes_of(entry, types)
        for entry in rest["resource"]
    ]
    return {**rest, "resource": entries}
