"""The parsed search: a typed expression tree and the result-shaping controls.

The parser (``resources.search.parse``) turns request parameters into a ``SearchQuery``; the
storage adapter compiles ``SearchQuery.where`` into SQL, one compiler per node kind, and applies
sort, paging, includes and summaries. Nothing here knows SQL.

Values are already normalised the way the index rows are (see ``index_rows``): strings
lowercased without accents, dates as half-open UTC ranges ``[low, high)``, numbers and
quantities as ``Decimal`` ranges from their precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from resources.search.param_def import SearchParamDef

Prefix = Literal["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"]


@dataclass(frozen=True, slots=True)
class StringMatch:
    """``name=x`` (starts-with, normalised), ``name:exact=x``, ``name:contains=x``."""

    param: SearchParamDef
    value: str
    mode: Literal["starts", "exact", "contains"] = "starts"


@dataclass(frozen=True, slots=True)
class TokenMatch:
    """``code`` / ``system|code`` / ``|code`` / ``system|``; ``:text``; ``:of-type``;
    ``:in``, ``:below``, ``:above``.

    ``system`` is None when the request named no system (any system matches); ``no_system``
    is True for ``|code`` (only codes without a system match). ``code`` is None for ``system|``.
    For ``:text``, ``text`` holds the normalised text. For ``:of-type`` (identifiers),
    ``type_system``/``type_code`` hold the type and ``code`` the identifier value.
    """

    param: SearchParamDef
    system: str | None
    code: str | None
    no_system: bool = False
    mode: Literal["eq", "text", "of-type", "in", "below", "above"] = "eq"
    text: str | None = None
    type_system: str | None = None
    type_code: str | None = None
    codes: tuple[tuple[str, str], ...] | None = None
    """``:in`` (``text`` holds the value set URL), ``:below``/``:above`` (``system|code``):
    the (system, code) pairs they stand for, filled in by the storage adapter from the
    terminology before compiling (``:not-in`` is ``Not`` over ``:in``)."""


@dataclass(frozen=True, slots=True)
class DateMatch:
    """A date search: the request value's range ``[low, high)`` in UTC and its prefix."""

    param: SearchParamDef
    prefix: Prefix
    low: datetime
    high: datetime


@dataclass(frozen=True, slots=True)
class NumberMatch:
    """A number search: the request value's precision range ``[low, high)`` and prefix."""

    param: SearchParamDef
    prefix: Prefix
    value: Decimal
    low: Decimal
    high: Decimal


@dataclass(frozen=True, slots=True)
class QuantityMatch:
    """``[prefix]number|system|code`` (system and code optional; ``code`` matches unit too)."""

    param: SearchParamDef
    prefix: Prefix
    value: Decimal
    low: Decimal
    high: Decimal
    system: str | None = None
    code: str | None = None


@dataclass(frozen=True, slots=True)
class ReferenceMatch:
    """``Type/id``, bare ``id`` (with ``:Type`` or a single-target parameter), absolute URL,
    ``:identifier`` (``system|value``). ``version`` from ``Type/id/_history/n``."""

    param: SearchParamDef
    target_type: str | None = None
    target_id: str | None = None
    url: str | None = None
    version: str | None = None
    identifier_system: str | None = None
    identifier_value: str | None = None


@dataclass(frozen=True, slots=True)
class UriMatch:
    """``uri`` exact, ``:below`` (prefix), ``:above`` (the stored uri is a prefix of the value)."""

    param: SearchParamDef
    uri: str
    mode: Literal["eq", "below", "above"] = "eq"


@dataclass(frozen=True, slots=True)
class TextMatch:
    """``_text=w1 w2`` / ``_content=...``: every one of ``words`` (normalised, distinct) is
    among the resource's words of that parameter (``resources.search.fulltext``)."""

    param: SearchParamDef
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CompositeMatch:
    """``a$b``: every component matches the same composite index row."""

    param: SearchParamDef
    components: tuple[Leaf, ...]


@dataclass(frozen=True, slots=True)
class Missing:
    """``name:missing=true|false``."""

    param: SearchParamDef
    missing: bool


@dataclass(frozen=True, slots=True)
class IdMatch:
    """``_id=a,b`` (the OR already folded into ``ids``)."""

    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LastUpdatedMatch:
    """``_lastUpdated=[prefix]instant``, on the stored version's ``last_updated``."""

    prefix: Prefix
    low: datetime
    high: datetime


@dataclass(frozen=True, slots=True)
class Chain:
    """``ref:Type.param=...``: resources whose ``ref`` points at a ``target_type`` matching
    ``inner`` (itself possibly a Chain: chains nest to any depth)."""

    param: SearchParamDef
    target_type: str
    inner: Expr


@dataclass(frozen=True, slots=True)
class Has:
    """``_has:Source:ref:param=...``: resources that some ``source_type`` resource references
    through ``reference`` and that matches ``inner`` (nested ``_has`` allowed)."""

    source_type: str
    reference: SearchParamDef
    inner: Expr
    many_sources: bool = False
    """Set by the store where so many ``source_type`` resources match ``inner`` that the rows
    are best tested one by one in page order, each for its first matching source."""


@dataclass(frozen=True, slots=True)
class Not:
    """``:not`` (token) and ``ne`` where a negation is the meaning: no value matches ``inner``."""

    inner: Expr


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Comma-separated values of one parameter: any may match."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class AllOf:
    """Several parameters, or one repeated: all must match."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class InCompartment:
    """``Patient/[id]/[type]``: resources linked to the compartment owner through any of
    ``params`` (from the CompartmentDefinition)."""

    compartment_type: str
    compartment_id: str
    params: tuple[SearchParamDef, ...]
    members: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Per member type, its linking codes: a search over several types links each type only
    through its own parameters (Flag's ``author`` does not put a Flag in the compartment)."""


@dataclass(frozen=True, slots=True)
class TypeIn:
    """The row is of one of ``types``: keeps a restriction to its own types in a search over
    several (an access policy restricts each type differently)."""

    types: tuple[str, ...]


Leaf = (
    StringMatch | TokenMatch | DateMatch | NumberMatch | QuantityMatch | ReferenceMatch | UriMatch
)
Expr = (
    Leaf
    | CompositeMatch
    | TextMatch
    | Missing
    | IdMatch
    | LastUpdatedMatch
    | Chain
    | Has
    | Not
    | AnyOf
    | AllOf
    | InCompartment
    | TypeIn
)


@dataclass(frozen=True, slots=True)
class SortKey:
    """``_sort=[-]param``; ``param`` None with ``special`` for ``_id`` / ``_lastUpdated``."""

    param: SearchParamDef | None
    descending: bool
    special: Literal["_id", "_lastUpdated"] | None = None


@dataclass(frozen=True, slots=True)
class Include:
    """``_include=Source:param[:Target]`` or ``_revinclude=...``; ``param`` None for ``*``."""

    source_type: str
    param: SearchParamDef | None
    target_type: str | None
    reverse: bool
    iterate: bool


Total = Literal["none", "estimate", "accurate"]
Summary = Literal["true", "text", "data", "count", "false"]


@dataclass(frozen=True)
class SearchQuery:
    """A whole search request, ready for the storage adapter."""

    resource_types: tuple[str, ...]
    where: AllOf
    sort: tuple[SortKey, ...] = ()
    includes: tuple[Include, ...] = ()
    count: int = 20
    total: Total = "none"
    summary: Summary = "false"
    elements: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    echo: tuple[tuple[str, str], ...] = field(default=())
    """The parameters as understood, for the Bundle's self and next links."""
