"""Quantity parameters: ``[prefix]number|system|code``, numbers as in ``number``.

https://hl7.org/fhir/R4/search.html#quantity. With a system, system and code must both match;
with a code and no system, the code matches the stored code or the display unit. A UCUM unit
also finds values stored in the units of its dimension that ``terminology.ucum`` lists
(``5|http://unitsofmeasure.org|g`` finds 5000 mg), the search value converted to each.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, FromClause, and_, or_
from sqlalchemy.sql.operators import eq

from fhir_server.store.search_sql.common import Scope, compare
from fhir_server.store.search_sql.number import numeric_predicate
from fhir_server.store.text_limits import clip
from resources.search.query import QuantityMatch
from terminology.ucum import SYSTEM as UCUM
from terminology.ucum import commensurable_units


def _ucum(match: QuantityMatch, table: FromClause) -> ColumnElement[bool] | None:
    """Every commensurable unit with the value converted; None when the unit has none."""
    units = commensurable_units(match.code or "")
    if len(units) < 2:
        return None
    c = table.c
    branches = [
        and_(
            compare(c.code, eq, clip(unit)),
            numeric_predicate(
                table, match.prefix, match.value * factor, match.low * factor, match.high * factor
            ),
        )
        for unit, factor in units
    ]
    return and_(c.system == UCUM, or_(*branches))


def predicate(match: QuantityMatch, table: FromClause, scope: Scope) -> ColumnElement[bool]:
    """The quantity row matches value and units."""
    del scope
    c = table.c
    if match.system == UCUM and match.code is not None:
        converted = _ucum(match, table)
        if converted is not None:
            return converted
    clauses = [numeric_predicate(table, match.prefix, match.value, match.low, match.high)]
    if match.system is not None:
        clauses.append(compare(c.system, eq, clip(match.system)))
        if match.code is not None:
            clauses.append(compare(c.code, eq, clip(match.code)))
    elif match.code is not None:
        clauses.append(
            or_(compare(c.code, eq, clip(match.code)), compare(c.unit, eq, clip(match.code)))
        )
    return and_(*clauses)
