"""Reference parameters: ``Type/id``, bare ``id``, absolute URL, ``:identifier``.

https://hl7.org/fhir/R4/search.html#reference. An absolute URL under this server's base is
the local reference it names (and also matches a stored reference written as that URL).
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, FromClause, and_, or_, true
from sqlalchemy.sql.operators import eq

from fhir_server.store.search_sql.common import Scope, compare
from fhir_server.store.text_limits import clip
from resources.search.query import ReferenceMatch

_LOCAL = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/([^/]+))?$")


def local_target(url: str, base_url: str | None) -> tuple[str, str, str | None] | None:
    """(type, id, version) when ``url`` is a resource on this server's base."""
    if not base_url or not url.startswith(base_url.rstrip("/") + "/"):
        return None
    found = _LOCAL.match(url[len(base_url.rstrip("/")) + 1 :])
    return (found.group(1), found.group(2), found.group(3)) if found else None


def _target(
    table: FromClause, type_: str | None, id_: str | None, version: str | None
) -> ColumnElement[bool]:
    c = table.c
    clauses: list[ColumnElement[bool]] = []
    if type_ is not None:
        clauses.append(compare(c.target_type, eq, type_))
    if id_ is not None:
        clauses.append(compare(c.target_id, eq, id_))
    if version is not None:
        clauses.append(compare(c.version, eq, version))
    return and_(true(), *clauses)


def _url(table: FromClause, url: str, version: str | None, base: str | None) -> ColumnElement[bool]:
    c = table.c
    exact = compare(c.url, eq, clip(url))
    if version is not None:
        exact = and_(exact, compare(c.version, eq, version))
    local = local_target(url, base)
    if local is None:
        return exact
    type_, id_, local_version = local
    return or_(_target(table, type_, id_, version or local_version), exact)


def predicate(match: ReferenceMatch, table: FromClause, scope: Scope) -> ColumnElement[bool]:
    """The reference row matches."""
    c = table.c
    if match.identifier_value is not None or match.identifier_system is not None:
        clauses: list[ColumnElement[bool]] = []
        if match.identifier_value is not None:
            clauses.append(compare(c.identifier_value, eq, clip(match.identifier_value)))
        if match.identifier_system is not None:
            clauses.append(compare(c.identifier_system, eq, clip(match.identifier_system)))
        return and_(*clauses)
    if match.url is not None:
        return _url(table, match.url, match.version, scope.base_url)
    return _target(table, match.target_type, match.target_id, match.version)
