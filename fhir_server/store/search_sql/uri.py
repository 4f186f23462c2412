"""Uri parameters: exact, ``:below`` (the stored uri starts with the value), ``:above`` (the
stored uri is the value or one of its parent paths). https://hl7.org/fhir/R4/search.html#uri"""

from __future__ import annotations

from sqlalchemy import ColumnElement, FromClause
from sqlalchemy.sql.operators import eq

from fhir_server.store.search_sql.common import Scope, compare, starts_with
from fhir_server.store.text_limits import clip
from resources.search.query import UriMatch


def parents(uri: str) -> list[str]:
    """``uri`` and each prefix of it that ends a path segment, with and without the slash.

    ``:above`` becomes an ``IN`` list on the uri index instead of a scan testing every stored
    uri as a prefix of the value.
    """
    found = [uri]
    start = uri.find("://")
    for position in range(start + 3 if start >= 0 else 0, len(uri)):
        if uri[position] == "/":
            found += [uri[:position], uri[: position + 1]]
    return list(dict.fromkeys(clip(item) for item in found if item))


def predicate(match: UriMatch, table: FromClause, scope: Scope) -> ColumnElement[bool]:
    """The uri row matches."""
    del scope
    if match.mode == "below":
        return starts_with(table.c.uri, clip(match.uri))
    if match.mode == "above":
        return table.c.uri.in_(parents(match.uri))
    return compare(table.c.uri, eq, clip(match.uri))
