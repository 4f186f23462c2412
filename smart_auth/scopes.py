"""SMART resource scopes, v1 and v2, parsed once into typed values.

https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html

``context/Type.permissions[?query]``: context ``patient``, ``user`` or ``system``; ``Type`` a
resource type or ``*``; permissions either v1 (``read``: r and s; ``write``: c, u and d; ``*``:
all five) or v2 (a non-empty subset of ``cruds`` in that order). Only v2 scopes carry a query
(``?category=...``), a search that narrows what the scope grants.

Scopes that name no resource access (``openid``, ``fhirUser``, ``launch``, ``launch/patient``,
``offline_access``, ``online_access``, ...) and malformed or unknown ones grant nothing here:
an unrecognised scope must never widen access, so it is dropped rather than guessed at.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl

from resources.resource_types import SERVED_TYPES

Context = Literal["patient", "user", "system"]
Interaction = Literal["c", "r", "u", "d", "s"]
ALL_INTERACTIONS: tuple[Interaction, ...] = ("c", "r", "u", "d", "s")
V1_PERMISSIONS: dict[str, frozenset[Interaction]] = {
    "read": frozenset({"r", "s"}),
    "write": frozenset({"c", "u", "d"}),
    "*": frozenset(ALL_INTERACTIONS),
}
WILDCARD = "*"

_SCOPE = re.compile(
    r"^(?P<context>patient|user|system)/(?P<type>\*|[A-Z][A-Za-z]+)"
    r"\.(?P<permissions>[a-z*]+)(?:\?(?P<query>.*))?$"
)
_V2 = re.compile(r"^c?r?u?d?s?$")


@dataclass(frozen=True, slots=True)
class ResourceScope:
    """One resource scope: who it is about, which type, which interactions, which subset."""

    context: Context
    resource_type: str
    """A served resource type, or ``*`` for every type."""
    interactions: frozenset[Interaction]
    query: tuple[tuple[str, str], ...] = ()
    """The v2 restriction as search parameters (empty: the whole type)."""
    version: Literal[1, 2] = 2
    text: str = ""

    def covers(self, resource_type: str) -> bool:
        """Whether the scope names ``resource_type`` (itself or through ``*``)."""
        return self.resource_type in (WILDCARD, resource_type)


def _permissions(text: str, has_query: bool) -> tuple[frozenset[Interaction], Literal[1, 2]]:
    v1 = V1_PERMISSIONS.get(text)
    if v1 is not None:
        if has_query:  # queries exist only in v2 scopes
            return frozenset(), 1
        return v1, 1
    if not text or not _V2.match(text):
        return frozenset(), 2
    granted: frozenset[Interaction] = frozenset(i for i in ALL_INTERACTIONS if i in text)
    return granted, 2


def parse_scope(text: str) -> ResourceScope | None:
    """The resource scope ``text`` names, or None when it grants no resource access."""
    found = _SCOPE.match(text)
    if found is None:
        return None
    resource_type = found.group("type")
    if resource_type != WILDCARD and resource_type not in SERVED_TYPES:
        return None
    raw_query = found.group("query")
    interactions, version = _permissions(found.group("permissions"), raw_query is not None)
    if not interactions:
        return None
    query: tuple[tuple[str, str], ...] = ()
    if raw_query is not None:
        query = tuple(parse_qsl(raw_query, keep_blank_values=True))
        if not query or any(not value for _, value in query):
            return None  # "?", "?a=": a restriction we cannot read restricts to nothing
    context: Context = found.group("context")  # type: ignore[assignment]
    return ResourceScope(context, resource_type, interactions, query, version, text)


@functools.lru_cache(maxsize=1024)
def parse_scopes(scopes: tuple[str, ...]) -> tuple[ResourceScope, ...]:
    """Every resource scope among ``scopes`` (cached: tokens repeat their scope lists)."""
    parsed = (parse_scope(text) for text in scopes)
    return tuple(scope for scope in parsed if scope is not None)


def split_scope_string(value: str) -> tuple[str, ...]:
    """An OAuth ``scope`` value (space-separated) as a tuple, duplicates removed."""
    return tuple(dict.fromkeys(part for part in value.split(" ") if part))
