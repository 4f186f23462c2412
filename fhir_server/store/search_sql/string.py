"""String parameters: starts-with on the normalised text (the default), ``:exact``,
``:contains`` (trigram index). https://hl7.org/fhir/R4/search.html#string"""

from __future__ import annotations

from sqlalchemy import ColumnElement, FromClause
from sqlalchemy.sql.operators import eq

from fhir_server.store.search_sql.common import Scope, compare, escape_like, starts_with
from fhir_server.store.text_limits import clip
from resources.search.query import StringMatch


def predicate(match: StringMatch, table: FromClause, scope: Scope) -> ColumnElement[bool]:
    """The string row matches (values arrive normalised, ``:exact`` ones as written)."""
    del scope
    if match.mode == "exact":
        return compare(table.c.exact, eq, clip(match.value))
    if match.mode == "contains":
        pattern = f"%{escape_like(match.value)}%"
        return table.c.normalised.like(pattern, escape="\\")
    return starts_with(table.c.normalised, clip(match.value))
