"""``_include`` and ``_revinclude``, with ``:iterate``, ``*`` and typed targets.

Each round runs one query per include over the resources found in the round before (the page's
matches first), through ``search_reference``: forward from the sources' rows to the targets,
reverse from rows pointing at the page's resources (the reverse index). Only current, live
resources are included, each once, and never one that is already a match. ``:iterate`` includes
go on for at most ``MAX_ROUNDS`` rounds; past ``MAX_INCLUDED`` resources the rest are left out.
Either limit adds a warning to the Bundle rather than truncating silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.sql.operators import eq

from fhir_server.db.schema import resource, resource_version, search_reference
from fhir_server.store.rows import VERSION_COLUMNS, stored
from fhir_server.store.search_sql.common import compare
from fhir_server.store.statements import Statements
from resources.search.query import Include
from resources.stored import StoredVersion

MAX_ROUNDS = 4
"""The first round and up to three ``:iterate`` rounds."""
MAX_INCLUDED = 1000
"""Included resources per page."""
Key = tuple[str, str]


@dataclass
class Included:
    """The resources included for one page, and any warnings about limits."""

    resources: list[StoredVersion] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _by_type(resources: Sequence[StoredVersion], wanted: str | None) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for item in resources:
        if wanted in (None, "*", item.resource_type):
            groups.setdefault(item.resource_type, []).append(item.id)
    return groups


def _param_filter(include: Include) -> ColumnElement[bool]:
    ref = search_reference.c
    clauses: list[ColumnElement[bool]] = [
        ref.composite_ord.is_(None)
    ]  # composite components are not references to follow
    if include.param is not None:
        clauses.append(compare(ref.param, eq, include.param.code))
    if include.source_type != "*":
        clauses.append(compare(ref.resource_type, eq, include.source_type))
    return and_(*clauses)


def include_keys_query(
    include: Include, frontier: Sequence[StoredVersion]
) -> Select[tuple[str, str]] | None:
    """The (type, id) of what ``include`` reaches from ``frontier``; None if it cannot apply."""
    ref = search_reference.c
    if include.reverse:
        groups = _by_type(frontier, include.target_type)
        owners = [
            and_(compare(ref.target_type, eq, t), ref.target_id.in_(ids))
            for t, ids in groups.items()
        ]
        columns = (ref.resource_type, ref.resource_id)
    else:
        groups = _by_type(frontier, include.source_type)
        owners = [
            and_(compare(ref.resource_type, eq, t), ref.resource_id.in_(ids))
            for t, ids in groups.items()
        ]
        columns = (ref.target_type, ref.target_id)
    if not owners:
        return None
    keys = select(*columns).where(_param_filter(include), or_(*owners), columns[1].is_not(None))
    if include.target_type is not None and not include.reverse:
        keys = keys.where(compare(ref.target_type, eq, include.target_type))
    return keys.distinct().limit(MAX_INCLUDED + 1)


def current_of(keys: Select[tuple[str, str]]) -> Select[tuple[object, ...]]:
    """The current versions of the live resources among ``keys``."""
    found = keys.subquery("found")
    type_, id_ = found.c[0], found.c[1]
    r, v = resource.c, resource_version.c
    return (
        select(*VERSION_COLUMNS)
        .select_from(found)
        .join(resource, and_(compare(r.resource_type, eq, type_), compare(r.id, eq, id_)))
        .join(
            resource_version,
            and_(
                compare(v.resource_type, eq, r.resource_type),
                compare(v.id, eq, r.id),
                compare(v.version_id, eq, r.version_id),
            ),
        )
        .where(~r.deleted)
    )


async def _apply(
    conn: Statements, include: Include, frontier: Sequence[StoredVersion]
) -> list[StoredVersion]:
    keys = include_keys_query(include, frontier)
    if keys is None:
        return []
    return [stored(row) for row in await conn.rows(current_of(keys))]


async def find_included(
    conn: Statements, includes: Sequence[Include], matches: Sequence[StoredVersion]
) -> Included:
    """The resources the page's includes reach, each once, matches excluded."""
    result = Included()
    seen: set[Key] = {(m.resource_type, m.id) for m in matches}
    frontier, active = list(matches), list(includes)
    for _ in range(MAX_ROUNDS):
        fresh: list[StoredVersion] = []
        for include in active:
            for found in await _apply(conn, include, frontier):
                if (found.resource_type, found.id) not in seen:
                    seen.add((found.resource_type, found.id))
                    fresh.append(found)
        result.resources.extend(fresh)
        if len(result.resources) > MAX_INCLUDED:
            del result.resources[MAX_INCLUDED:]
            result.warnings.append(f"Only the first {MAX_INCLUDED} included resources are returned")
            return result
        frontier, active = fresh, [include for include in includes if include.iterate]
        if not frontier or not active:
            return result
    result.warnings.append(f"_include:iterate stopped after {MAX_ROUNDS} rounds")
    return result
