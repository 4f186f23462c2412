"""The search parser: request parameters -> ``SearchQuery`` (https://hl7.org/fhir/R4/search.html).

``parse_search`` reads the request's (name, value) pairs in order: each filter parameter
becomes one item of the root ``AllOf`` (a repeated parameter is an AND), and the control
parameters set sort, includes, paging, total and summary. ``_format``, ``_pretty`` and
``_cursor`` belong to the HTTP layer and are skipped, as is any parameter with an empty value.

Malformed values always raise ``Invalid`` (NV-0023, or NV-0024 for an unknown ``_sort`` key).
An unknown parameter (NV-0024) or an unsupported modifier or feature (NV-0030) is dropped with
a warning in ``SearchQuery.warnings``, or raises ``Invalid`` when ``strict``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from resources.error_codes import NOT_IN_COMPARTMENT
from resources.errors import Invalid
from resources.search.param_def import SearchParamDef
from resources.search.parse_controls import (
    CONTAINED_DEFAULTS,
    check_contained,
    include_reaches,
    parse_count,
    parse_elements,
    parse_include,
    parse_sort,
    parse_summary,
    parse_total,
)
from resources.search.parse_errors import Unsupported, malformed
from resources.search.parse_param import Scope, parse_param
from resources.search.query import (
    AllOf,
    Expr,
    Include,
    InCompartment,
    SearchQuery,
    SortKey,
    Summary,
    Total,
)
from resources.search.registry import SearchRegistry

IGNORED = frozenset({"_format", "_pretty", "_cursor"})
"""Handled by the HTTP layer."""
SINGLE_CONTROLS = frozenset({"_count", "_total", "_summary", *CONTAINED_DEFAULTS})
"""Controls that take one value; a repeat must agree with the first."""
CONTROLS = SINGLE_CONTROLS | {"_sort", "_elements", "_include", "_revinclude", "_type"}
"""``_type`` is read by the caller into ``resource_types``; here it is only echoed."""


def parse_search(
    resource_types: tuple[str, ...],
    params: list[tuple[str, str]],
    registry: SearchRegistry,
    *,
    strict: bool = False,
    default_count: int = 20,
    max_count: int = 1000,
    compartment: tuple[str, str] | None = None,
) -> SearchQuery:
    """Parse a search on ``resource_types`` (one: type-level; several or none: system-level).

    ``compartment`` (type, id) restricts the search to that compartment (``InCompartment``,
    first in the root ``AllOf``); a searched type outside it is ``Invalid`` (NV-0031).
    """
    parser = _Parser(registry, resource_types, strict, max_count, count=default_count)
    if compartment is not None:
        parser.where.append(compartment_expr(registry, resource_types, compartment))
    for name, value in params:
        parser.add(name, value)
    return parser.query()


def compartment_expr(
    registry: SearchRegistry, resource_types: Scope, compartment: tuple[str, str]
) -> InCompartment:
    """The compartment restriction: the parameters linking each searched type to its owner."""
    owner, owner_id = compartment
    members = registry.compartments.get(owner)
    if members is None:
        raise Invalid(f"There is no {owner} compartment", NOT_IN_COMPARTMENT)
    params: list[SearchParamDef] = []
    linked: list[tuple[str, tuple[str, ...]]] = []
    for resource_type in resource_types or tuple(members):
        codes = members.get(resource_type, ())
        if not codes:
            message = f"{resource_type} is not in the {owner} compartment"
            raise Invalid(message, NOT_IN_COMPARTMENT)
        found = [p for p in (registry.get(resource_type, code) for code in codes) if p is not None]
        params.extend(found)
        linked.append((resource_type, tuple(p.code for p in found if p.type == "reference")))
    return InCompartment(owner, owner_id, tuple(dict.fromkeys(params)), tuple(linked))


@dataclass
class _Parser:
    registry: SearchRegistry
    scope: Scope
    strict: bool
    max_count: int
    count: int
    where: list[Expr] = field(default_factory=list)
    sort: list[SortKey] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    elements: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    echo: list[tuple[str, str]] = field(default_factory=list)
    singles: dict[str, str] = field(default_factory=dict)
    total: Total = "none"
    summary: Summary = "false"

    def add(self, name: str, value: str) -> None:
        base, _, modifier = name.partition(":")
        if base in IGNORED or not value.strip():
            return
        try:
            if base in CONTROLS:
                self.control(name, base, modifier or None, value.strip())
            else:
                self.where.append(parse_param(self.registry, self.scope, name, value))
                self.echo.append((name, value))
        except Unsupported as error:
            if self.strict:
                raise Invalid(error.message, error.code) from None
            self.warnings.append(error.message)

    def control(self, name: str, base: str, modifier: str | None, value: str) -> None:
        if base in ("_include", "_revinclude"):
            self.include(name, modifier, value, reverse=base == "_revinclude")
            return
        if modifier is not None:
            raise malformed(name, f"{base} takes no modifier")
        if base == "_type":
            self.echo.append((base, value))
        elif base == "_sort":
            keys = parse_sort(self.registry, self.scope, value)
            self.sort.extend(keys)
            self.echo.append((base, ",".join(item.strip() for item in value.split(","))))
        elif base == "_elements":
            names = parse_elements(value)
            self.elements.extend(names)
            self.echo.append((base, ",".join(names)))
        else:
            self.single(base, value)

    def include(self, name: str, modifier: str | None, value: str, *, reverse: bool) -> None:
        include = parse_include(self.registry, modifier, value, reverse=reverse)
        if not include_reaches(include, self.scope):
            self.warnings.append(f"{name}={value} can find nothing on this search")
        self.includes.append(include)
        self.echo.append((name, value))

    def single(self, base: str, value: str) -> None:
        earlier = self.singles.get(base)
        if earlier is not None:
            if earlier != value:
                raise malformed(base, f"given twice, as '{earlier}' and '{value}'")
            return
        echoed = value
        if base == "_count":
            self.count = parse_count(value, self.max_count)
            if self.count < int(value):
                self.warnings.append(f"_count={value} is over the limit: {self.count} used")
            echoed = str(self.count)
        elif base == "_total":
            self.total = parse_total(value)
        elif base == "_summary":
            self.summary = parse_summary(value)
        elif base in CONTAINED_DEFAULTS:
            check_contained(base, value)
        self.singles[base] = value
        self.echo.append((base, echoed))

    def query(self) -> SearchQuery:
        return SearchQuery(
            resource_types=self.scope,
            where=AllOf(tuple(self.where)),
            sort=tuple(self.sort),
            includes=tuple(dict.fromkeys(self.includes)),
            count=self.count,
            total=self.total,
            summary=self.summary,
            elements=tuple(dict.fromkeys(self.elements)),
            warnings=tuple(self.warnings),
            echo=tuple(self.echo),
        )
