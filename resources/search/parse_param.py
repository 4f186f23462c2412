"""One filter parameter (``name[:modifier]=v1,v2``) -> its expression, chains and ``_has`` too.

https://hl7.org/fhir/R4/search.html: comma-separated values are an OR (``AnyOf``; a single
value stays a bare leaf), ``:not`` on a token is ``Not`` over that OR, ``:missing`` is
``Missing``. ``ref[:Type].param`` chains to any depth (``Chain``); ``_has:Type:ref:param``
reverse-chains, nested too (``Has``). ``_id`` folds its OR into one ``IdMatch``;
``_lastUpdated`` becomes ``LastUpdatedMatch``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from resources.resource_types import SERVED_TYPES
from resources.search.fulltext import FULLTEXT_CODES, search_words
from resources.search.param_def import SearchParamDef
from resources.search.parse_errors import (
    Unsupported,
    fulltext_modifier,
    malformed,
    unknown,
    unsupported_modifier,
)
from resources.search.parse_leaf import leaf_builder
from resources.search.parse_values import split_unescaped, unescape
from resources.search.query import (
    AnyOf,
    Chain,
    DateMatch,
    Expr,
    Has,
    IdMatch,
    LastUpdatedMatch,
    Missing,
    Not,
    TextMatch,
)
from resources.search.registry import SearchRegistry

Scope = tuple[str, ...]
"""The resource types a parameter name is read against; () for every type."""
RESOURCE_BASES = frozenset({"Resource", "DomainResource"})


@dataclass(frozen=True, slots=True)
class Request:
    """One request parameter being parsed: its full name (for messages) and raw value."""

    registry: SearchRegistry
    name: str
    raw: str


def lookup(registry: SearchRegistry, scope: Scope, code: str) -> SearchParamDef | None:
    """The parameter ``code`` shared by every type of ``scope``, or None.

    For several types each must define ``code`` with the same parameter type; the first
    type's definition is returned (index rows are keyed by code, so any of them compiles).
    For the empty scope only Resource-level parameters (``_id``, ``_lastUpdated``, ...) apply.
    """
    if not scope:
        return registry.get("Resource", code)
    found = [registry.get(resource_type, code) for resource_type in scope]
    first = found[0]
    if first is None or any(param is None or param.type != first.type for param in found):
        return None
    return first


def describe(scope: Scope) -> str:
    """``Patient`` / ``Patient, Practitioner`` / ``every resource type``, for messages."""
    return ", ".join(scope) or "every resource type"


def any_of(items: Sequence[Expr]) -> Expr:
    """One item as itself, several as ``AnyOf``."""
    return items[0] if len(items) == 1 else AnyOf(tuple(items))


def parse_param(registry: SearchRegistry, scope: Scope, name: str, raw: str) -> Expr:
    """The expression of one request parameter ``name=raw`` searched on ``scope``.

    Raises ``Invalid`` for a malformed name or value and ``Unsupported`` for an unknown
    parameter or an unsupported modifier or feature.
    """
    return parse_part(Request(registry, name, raw), scope, name)


def parse_part(request: Request, scope: Scope, part: str) -> Expr:
    """The expression of ``part``, the rest of the name after any chain or ``_has`` prefix."""
    if part.startswith("_has:"):
        return parse_has(request, scope, part)
    head, dot, rest = part.partition(".")
    if dot:
        return parse_chain(request, scope, head, rest)
    code, _, modifier = part.partition(":")
    param = lookup(request.registry, scope, code)
    if param is None:
        raise unknown(request.name, describe(scope))
    return values_expr(request, param, modifier or None)


def parse_chain(request: Request, scope: Scope, head: str, rest: str) -> Expr:
    """``ref[:Type].rest``: a ``Chain`` per target type (an ``AnyOf`` when several)."""
    code, _, type_ = head.partition(":")
    link = lookup(request.registry, scope, code)
    if link is None:
        raise unknown(request.name, describe(scope))
    if link.type != "reference":
        raise malformed(request.name, f"'{code}' is not a reference parameter: it cannot chain")
    targets = chain_targets(request, link, type_ or None, rest)
    return any_of([Chain(link, t, parse_part(request, (t,), rest)) for t in targets])


def chain_targets(
    request: Request, link: SearchParamDef, type_: str | None, rest: str
) -> tuple[str, ...]:
    """The types a chain goes through: the ``:Type`` named, or the targets that define the
    next parameter (a chain through one of them matches); none defining it is a 400."""
    if type_ is not None:
        if type_ not in SERVED_TYPES or (link.target and type_ not in link.target):
            raise malformed(request.name, f"{type_} is not a target of '{link.code}'")
        return (type_,)
    if len(link.target) == 1:
        return link.target
    following = rest.split(".", 1)[0].split(":", 1)[0]
    defining = tuple(t for t in link.target if request.registry.get(t, following))
    if defining:
        return defining
    targets = ", ".join(link.target) or "any type"
    raise malformed(
        request.name,
        f"'{link.code}' points at {targets}, none of which has the parameter '{following}'",
    )


def parse_has(request: Request, scope: Scope, part: str) -> Has:
    """``_has:Source:ref:rest``: some ``Source`` points here through ``ref`` and matches."""
    pieces = part.split(":", 3)
    if len(pieces) != 4 or not all(pieces):
        raise malformed(request.name, "_has is written _has:Type:reference:parameter")
    _, source, code, rest = pieces
    if source not in SERVED_TYPES:
        raise malformed(request.name, f"'{source}' is not a resource type")
    reference = request.registry.get(source, code)
    if reference is None:
        raise unknown(request.name, source)
    if reference.type != "reference":
        raise malformed(request.name, f"{source}:{code} is not a reference parameter")
    strays = [t for t in scope if reference.target and t not in reference.target]
    if strays:
        raise malformed(request.name, f"{source}:{code} never points at {', '.join(strays)}")
    return Has(source, reference, parse_part(request, (source,), rest))


def values_expr(request: Request, param: SearchParamDef, modifier: str | None) -> Expr:
    """The OR of the comma-separated values of ``param`` with ``modifier``."""
    fulltext = param.expression is None and param.code in FULLTEXT_CODES
    if param.expression is None and not fulltext:
        raise Unsupported(f"Search parameter '{request.name}' is not supported yet")
    items = [item for item in split_unescaped(request.raw, ",") if item]
    if not items:
        raise malformed(request.name, "no value")
    if fulltext and modifier != "missing":
        return text_expr(request, param, modifier, items)
    if RESOURCE_BASES.intersection(param.base) and param.code in ("_id", "_lastUpdated"):
        return special_expr(request, param, modifier, items)
    if modifier == "missing":
        return any_of([Missing(param, missing_flag(request, item)) for item in items])
    negate = param.type == "token" and modifier in ("not", "not-in")
    inner = {"not": None, "not-in": "in"}.get(modifier or "", modifier) if negate else modifier
    build = leaf_builder(request.registry, param, inner, request.name)
    leaves = [build(item) for item in items]
    return Not(any_of(leaves)) if negate else any_of(leaves)


def special_expr(
    request: Request, param: SearchParamDef, modifier: str | None, items: list[str]
) -> Expr:
    """``_id`` (``:not`` allowed) and ``_lastUpdated``, on the stored version itself."""
    if param.code == "_id" and modifier in (None, "not"):
        ids = IdMatch(tuple(unescape(item) for item in items))
        return Not(ids) if modifier == "not" else ids
    if param.code == "_lastUpdated" and modifier is None:
        build = leaf_builder(request.registry, param, None, request.name)
        dates = [build(item) for item in items]
        return any_of([_last_updated(d) for d in dates if isinstance(d, DateMatch)])
    raise unsupported_modifier(request.name, modifier or "")


def _last_updated(match: DateMatch) -> LastUpdatedMatch:
    return LastUpdatedMatch(match.prefix, match.low, match.high)


def text_expr(
    request: Request, param: SearchParamDef, modifier: str | None, items: list[str]
) -> Expr:
    """``_text``/``_content``: each value's words must all occur; the values are an OR."""
    if modifier is not None:
        raise fulltext_modifier(request.name, modifier)
    return any_of([TextMatch(param, search_words(request.name, unescape(item))) for item in items])


def missing_flag(request: Request, item: str) -> bool:
    """``:missing=true`` / ``false``; anything else is malformed."""
    if item not in ("true", "false"):
        raise malformed(request.name, f"':missing' takes true or false, not '{item}'")
    return item == "true"
