"""A search narrowed by an access policy, inside its expression tree.

The restriction of each searched type becomes the first item of the query's root ``AllOf``,
so the store compiles it into the same WHERE clause as the request's own parameters: pages,
cursors and totals (``_total``, ``_summary=count``) only ever see what the token may see.

- One type: its restriction as it is.
- Several types, or none (system search): one ``AnyOf`` branch per group of types with the
  same restriction, each guarded by ``TypeIn``; types the token cannot search are left out
  when the request named no types, and refused (403) when it named them.
- Chains and ``_has`` look into other resources: their inner expression is narrowed by the
  policy of the type they look into, so a search cannot test hidden resources' values
  (``Patient?_has:Observation:subject:code=x`` only sees the Observations the token sees).
"""

from __future__ import annotations

from dataclasses import replace

from resources import error_codes
from resources.errors import Forbidden
from resources.resource_types import SERVED_TYPES
from resources.search.query import AllOf, AnyOf, Chain, Expr, Has, Not, SearchQuery, TypeIn
from smart_auth.policy import NOTHING, AccessPolicy, Restriction, insufficient_scope_headers
from smart_auth.scopes import Interaction

SEARCH: Interaction = "s"


def restrict_search(policy: AccessPolicy, query: SearchQuery) -> SearchQuery:
    """``query`` limited to what the policy lets the token search; 403 when it lets none."""
    named = query.resource_types
    if named:
        for resource_type in named:
            policy.require(SEARCH, resource_type)
        candidates = named
    else:
        candidates = tuple(sorted(t for t in SERVED_TYPES if policy.allows(SEARCH, t)))
        if not candidates:
            raise policy.forbidden(SEARCH, None)
    restriction = _by_type(policy, candidates, everything=not named)
    where = _narrow_all(policy, query.where)
    items = where.items if restriction is None else (restriction, *where.items)
    return replace(query, where=AllOf(items))


def restrict_condition(
    policy: AccessPolicy, criteria: SearchQuery, interaction: Interaction
) -> SearchQuery:
    """A conditional write's criteria: a search the token must be allowed, narrowed to what it
    may see and to what ``interaction`` may reach, so a hidden resource never matches."""
    resource_type = criteria.resource_types[0]
    if not policy.allows(SEARCH, resource_type):
        message = f"A conditional {interaction} on {resource_type} needs search access to it"
        raise Forbidden(
            message, error_codes.SCOPE_CONDITION_NEEDS_SEARCH, headers=insufficient_scope_headers()
        )
    restricted = restrict_search(policy, criteria)
    extra = policy.require(interaction, resource_type)
    if extra is None:
        return restricted
    return replace(restricted, where=AllOf((extra, *restricted.where.items)))


def _by_type(policy: AccessPolicy, types: tuple[str, ...], *, everything: bool) -> Restriction:
    groups: dict[Restriction, list[str]] = {}
    for resource_type in types:
        groups.setdefault(policy.restriction(SEARCH, resource_type), []).append(resource_type)
    if len(types) == 1:
        return next(iter(groups))
    if list(groups) == [None] and (not everything or len(types) == len(SERVED_TYPES)):
        return None
    branches: list[Expr] = []
    for restriction, members in groups.items():
        guard = TypeIn(tuple(members))
        branches.append(AllOf((guard,) if restriction is None else (guard, restriction)))
    return AnyOf(tuple(branches))


def _narrow_all(policy: AccessPolicy, where: AllOf) -> AllOf:
    return AllOf(tuple(narrow(policy, item) for item in where.items))


def narrow(policy: AccessPolicy, node: Expr) -> Expr:
    """``node`` with every chain and ``_has`` limited to what the token may search."""
    match node:
        case AllOf(items):
            return AllOf(tuple(narrow(policy, item) for item in items))
        case AnyOf(items):
            return AnyOf(tuple(narrow(policy, item) for item in items))
        case Not(inner):
            return Not(narrow(policy, inner))
        case Chain(param, target_type, inner):
            return Chain(param, target_type, _within(policy, target_type, inner))
        case Has(source_type, reference, inner):
            return Has(source_type, reference, _within(policy, source_type, inner))
        case _:
            return node


def _within(policy: AccessPolicy, resource_type: str, inner: Expr) -> Expr:
    restriction = policy.restriction(SEARCH, resource_type)
    narrowed = narrow(policy, inner)
    if restriction is None:
        return narrowed
    if restriction == NOTHING:
        return NOTHING
    return AllOf((restriction, narrowed))
