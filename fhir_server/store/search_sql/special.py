"""``_id`` and ``_lastUpdated`` (columns of the ``resource`` row) and ``:missing``."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, not_, true

from fhir_server.db.schema import INDEX_TABLES
from fhir_server.store.index_writer import NOT_STORED
from fhir_server.store.search_sql.blind import phi_present
from fhir_server.store.search_sql.common import Scope, rows_exist
from fhir_server.store.search_sql.date import point_predicate
from fhir_server.store.search_sql.fulltext import text_present
from resources import error_codes
from resources.errors import NotSupported
from resources.search.fulltext import FULLTEXT_CODES
from resources.search.query import IdMatch, LastUpdatedMatch, Missing


def ids(match: IdMatch, scope: Scope) -> ColumnElement[bool]:
    """``_id=a,b``."""
    if not match.ids:
        return false()
    return scope.id_column().in_(match.ids)


def last_updated(match: LastUpdatedMatch, scope: Scope) -> ColumnElement[bool]:
    """``_lastUpdated``: the current version's instant, a range of one point."""
    column = scope.resource.c.last_updated
    return point_predicate(column, match.prefix, (match.low, match.high), scope.now)


def missing(match: Missing, scope: Scope) -> ColumnElement[bool]:
    """``:missing=true``: no value of the parameter; ``false``: at least one."""
    param = match.param
    if param.code in NOT_STORED:  # every resource has an id and a lastUpdated
        return false() if match.missing else true()
    if param.expression is None and param.code in FULLTEXT_CODES:
        found_text = text_present(param.code, scope)
        return not_(found_text) if match.missing else found_text
    table = INDEX_TABLES.get(param.type)
    if table is None:
        raise NotSupported(f"{param.code}:missing is not supported", error_codes.UNKNOWN_PARAMETER)
    found = phi_present(param, table, scope)
    if found is None:
        found = rows_exist(scope.alias(table), param.code, scope)
    return not_(found) if match.missing else found
