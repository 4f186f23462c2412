"""Quantity parameters: ``[prefix]number|system|code``, numbers as in ``number``.

https://hl7.org/fhir/R4/search.html#quantity. With a system, system and code must both match;
with a code and no system, the code matches the stored code or the display unit.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, FromClause, and_, or_

from fhir_server.store.search_sql.common import Scope
from fhir_server.store.search_sql.number import numeric_predicate
from fhir_server.store.text_limits import clip
from resources.search.query import QuantityMatch


def predicate(match: QuantityMatch, table: FromClause, scope: Scope) -> ColumnElement[bool]:
    """The quantity row matches value and units."""
    del scope
    c = table.c
    clauses = [numeric_predicate(table, match.prefix, match.value, match.low, match.high)]
    if match.system is not None:
        clauses.append(c.system == clip(match.system))
        if match.code is not None:
            clauses.append(c.code == clip(match.code))
    elif match.code is not None:
        clauses.append(or_(c.code == clip(match.code), c.unit == clip(match.code)))
    return and_(*clauses)
