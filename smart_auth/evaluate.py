"""An access restriction tested on one resource's JSON, without the database.

Reads by id, history entries and the bodies of writes are checked here; searches get the same
restriction compiled into their SQL instead. Both read the values through the same extraction
that writes the search index (``resources.search.extract``), so the two agree.

Only the node kinds that an access restriction is made of are evaluated: the compartment, ids,
types, and the token and reference parameters of v2 scope queries (``category=...``). Anything
else raises ``Unevaluable``, and the caller denies: a restriction that cannot be checked must
not let a resource through.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from resources.search.extract import extract
from resources.search.fhirpath import FhirPathEvaluationError
from resources.search.query import (
    AllOf,
    AnyOf,
    Expr,
    IdMatch,
    InCompartment,
    Not,
    ReferenceMatch,
    TokenMatch,
    TypeIn,
)
from resources.search.registry import SearchRegistry
from resources.search.values import ReferenceValue, TokenValue

Json = Mapping[str, Any]


class Unevaluable(Exception):
    """The restriction holds a node this module cannot test on a resource."""


def satisfies(node: Expr, resource: Json, registry: SearchRegistry) -> bool:
    """Whether ``resource`` matches ``node``; ``Unevaluable`` when that cannot be told here."""
    match node:
        case AllOf(items):
            return all(satisfies(item, resource, registry) for item in items)
        case AnyOf(items):
            return any(satisfies(item, resource, registry) for item in items)
        case Not(inner):
            return not satisfies(inner, resource, registry)
        case IdMatch(ids):
            return resource.get("id") in ids
        case TypeIn(types):
            return resource.get("resourceType") in types
        case InCompartment():
            return _in_compartment(node, resource, registry)
        case TokenMatch():
            return _token(node, resource, registry)
        case ReferenceMatch():
            return _reference(node, resource, registry)
        case _:
            raise Unevaluable(type(node).__name__)


def references_to(
    resource: Json, codes: tuple[str, ...], target_type: str, registry: SearchRegistry
) -> set[str]:
    """The ids of ``target_type`` that ``resource`` references through the parameters
    ``codes`` of its type (unreadable values count as none)."""
    resource_type = str(resource.get("resourceType"))
    found: set[str] = set()
    for code in codes:
        param = registry.get(resource_type, code)
        if param is None or param.type != "reference":
            continue
        for value in _values(resource, code, registry):
            if isinstance(value, ReferenceValue) and value.target_type == target_type:
                found.add(value.target_id or "")
    found.discard("")
    return found


def _values(resource: Json, code: str, registry: SearchRegistry) -> list[object]:
    param = registry.get(str(resource.get("resourceType")), code)
    if param is None:
        return []
    try:
        return list(extract(resource, param, registry))
    except FhirPathEvaluationError:
        raise Unevaluable(code) from None


def _in_compartment(node: InCompartment, resource: Json, registry: SearchRegistry) -> bool:
    # One parameter at a time: most resources name their patient through the first one.
    return any(
        node.compartment_id
        in references_to(resource, (param.code,), node.compartment_type, registry)
        for param in node.params
    )


def _token(node: TokenMatch, resource: Json, registry: SearchRegistry) -> bool:
    if node.mode != "eq":
        raise Unevaluable(f"{node.param.code}:{node.mode}")
    for value in _values(resource, node.param.code, registry):
        if not isinstance(value, TokenValue):
            continue
        if node.code is not None and value.code != node.code:
            continue
        if node.no_system and value.system is not None:
            continue
        if node.system is not None and value.system != node.system:
            continue
        return True
    return False


def _reference(node: ReferenceMatch, resource: Json, registry: SearchRegistry) -> bool:
    if node.target_id is None or node.url is not None or node.identifier_value is not None:
        raise Unevaluable(node.param.code)
    for value in _values(resource, node.param.code, registry):
        if not isinstance(value, ReferenceValue) or value.target_id != node.target_id:
            continue
        if node.target_type is None or value.target_type == node.target_type:
            return True
    return False
