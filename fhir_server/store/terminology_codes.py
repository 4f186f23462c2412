"""Token ``:in``, ``:not-in``, ``:below`` and ``:above``: the codes a value set or a code
system's hierarchy stands for, found before the search is compiled.

https://hl7.org/fhir/R4/search.html#modifiers. ``:in`` expands the value set (stored ones,
read on the search's connection, before the shipped ones); ``:below``/``:above`` take the code
with its descendants/ancestors. The (system, code) pairs become bound parameters of the token
predicate. An unknown value set or code system is a 400.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from fhir_server.store.statements import Statements
from resources import error_codes, fhir_json
from resources.errors import FhirError, Invalid
from resources.search.parse import parse_search
from resources.search.query import (
    AllOf,
    AnyOf,
    Chain,
    CompositeMatch,
    Expr,
    Has,
    Not,
    SearchQuery,
    TokenMatch,
)
from resources.search.registry import default_registry
from terminology.codesystems import catalog
from terminology.codesystems.expansions import members
from terminology.codesystems.sources import Overlay, gather, split_canonical

MAX_CODES = 10_000
"""Most codes one modifier value may stand for (they are sent as bound parameters)."""
_RESOLVED = ("in", "below", "above")


async def resolve_codes(conn: Statements, query: SearchQuery) -> SearchQuery:
    """``query`` with the codes of every terminology modifier filled in."""
    if not _needs(query.where):
        return query
    where = await _resolve(conn, query.where)
    return dataclasses.replace(query, where=where)  # type: ignore[arg-type]


def _needs(node: Expr) -> bool:
    match node:
        case TokenMatch():
            return node.mode in _RESOLVED and node.codes is None
        case AllOf(items) | AnyOf(items):
            return any(_needs(item) for item in items)
        case Not(inner) | Chain(inner=inner) | Has(inner=inner):
            return _needs(inner)
        case CompositeMatch(components=components):
            return any(_needs(item) for item in components)
        case _:
            return False


async def _resolve(conn: Statements, node: Expr) -> Expr:
    match node:
        case TokenMatch() if node.mode in _RESOLVED and node.codes is None:
            return dataclasses.replace(node, codes=await _codes(conn, node))
        case AllOf(items):
            return AllOf(tuple([await _resolve(conn, item) for item in items]))
        case AnyOf(items):
            return AnyOf(tuple([await _resolve(conn, item) for item in items]))
        case Not(inner):
            return Not(await _resolve(conn, inner))
        case Chain() | Has():
            return dataclasses.replace(node, inner=await _resolve(conn, node.inner))
        case CompositeMatch(components=components):
            resolved = tuple([await _resolve(conn, item) for item in components])
            return dataclasses.replace(node, components=resolved)  # type: ignore[arg-type]
        case _:
            return node


async def _stored(conn: Statements, kind: str, url: str) -> list[Mapping[str, Any]]:
    from fhir_server.store.search_engine import match_at_most  # it imports this module

    query = parse_search((kind,), [("url", url)], default_registry())
    return [fhir_json.loads(v.body) for v in await match_at_most(conn, query, 5) if v.body]


async def _sources(conn: Statements, kind: str, url: str) -> Overlay:
    async def fetch(kind: str, url: str) -> list[Mapping[str, Any]]:
        return await _stored(conn, kind, url)

    shipped = catalog().code_system(url) if kind == "CodeSystem" else catalog().value_set(url)
    found = [] if shipped is not None else await _stored(conn, kind, url)  # shipped ones win
    return await gather(catalog(), fetch, *found)


def _bad(match: TokenMatch, message: str, nv_code: str) -> Invalid:
    return Invalid(f"Search parameter '{match.param.code}:{match.mode}': {message}", nv_code)


async def _codes(conn: Statements, match: TokenMatch) -> tuple[tuple[str, str], ...]:
    try:
        found = await (_in(conn, match) if match.mode == "in" else _hierarchy(conn, match))
    except FhirError as error:
        raise _bad(match, error.message, error.nv_code) from None
    if len(found) > MAX_CODES:
        raise _bad(match, f"{len(found)} codes, more than {MAX_CODES}",
                   error_codes.EXPANSION_TOO_LARGE)  # fmt: skip
    return found


async def _in(conn: Statements, match: TokenMatch) -> tuple[tuple[str, str], ...]:
    url, version = split_canonical(match.text or "")
    sources = await _sources(conn, "ValueSet", url)
    value_set = sources.value_set(url, version)
    if value_set is None:
        raise _bad(match, f"value set {url} is not known", error_codes.UNKNOWN_VALUE_SET)
    return tuple(dict.fromkeys(m.key for m in members(value_set, sources)))


async def _hierarchy(conn: Statements, match: TokenMatch) -> tuple[tuple[str, str], ...]:
    system, code = match.system or "", match.code or ""
    index = (await _sources(conn, "CodeSystem", system)).code_system(system)
    if index is None:
        raise _bad(match, f"code system {system} is not known", error_codes.UNKNOWN_CODE_SYSTEM)
    concept = index.get(code)
    if concept is None:
        return ((system, code),)
    related = (
        index.descendants(concept.code) if match.mode == "below" else index.ancestors(concept.code)
    )
    return tuple((system, c) for c in [concept.code, *related])
