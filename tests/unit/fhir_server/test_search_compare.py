"""``compare`` and ``overlaps`` build the comparison SQLAlchemy's operators build: same SQL,
same bound type, same negation; a column on the right stays a column."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import BigInteger, ColumnElement, create_engine, literal, not_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.operators import eq, ge, gt, le, lt, ne

from fhir_server.db.schema import resource, search_date, search_number, search_token
from fhir_server.store.search_sql.common import compare, overlaps

DIALECT = create_engine("postgresql+psycopg://").dialect
TOKEN = search_token.alias()
DATE = search_date.alias()
NUMBER = search_number.alias()
WHEN = datetime(2014, 1, 1, tzinfo=UTC)
_KEYS = ARRAY(BigInteger)


def _rendered(clause: ColumnElement[bool]) -> tuple[str, list[Any], list[str]]:
    """The SQL with its placeholders numbered in order, the values, the bound types."""
    compiled = clause.compile(dialect=DIALECT)
    names = list(compiled.positiontup or []) or sorted(compiled.params)
    sql = compiled.string
    for n, name in enumerate(names):
        sql = sql.replace(f"%({name})s", f"${n}")
    types = [repr(compiled.binds[name].type) for name in names]
    return sql, [compiled.params[name] for name in names], types


@pytest.mark.parametrize(
    ("column", "operator", "value"),
    [
        (TOKEN.c.code, eq, "55284-4"),  # a "C"-collated text column
        (TOKEN.c.param, eq, "code"),
        (TOKEN.c.resource_type, ne, "Observation"),
        (DATE.c.low, lt, WHEN),
        (DATE.c.high, ge, WHEN),
        (NUMBER.c.value, gt, Decimal("10.5")),
        (NUMBER.c.value, le, 10),  # an int against a numeric column: bound as an integer
    ],
)
def test_the_sql_and_bound_type_are_those_of_the_operator(
    column: ColumnElement[Any], operator: Any, value: Any
) -> None:
    assert _rendered(compare(column, operator, value)) == _rendered(operator(column, value))


@pytest.mark.parametrize(("operator", "negated"), [(eq, "!="), (lt, ">="), (ge, "<")])
def test_negating_it_negates_the_operator(operator: Any, negated: str) -> None:
    sql, _, _ = _rendered(not_(compare(DATE.c.low, operator, WHEN)))
    assert sql == f"search_date_1.low {negated} $0::TIMESTAMP WITH TIME ZONE"
    assert _rendered(not_(compare(DATE.c.low, operator, WHEN))) == _rendered(
        not_(operator(DATE.c.low, WHEN))
    )


def test_a_column_on_the_right_is_compared_not_bound() -> None:
    clause = compare(TOKEN.c.resource_id, eq, resource.c.id)
    assert _rendered(clause) == ("search_token_1.resource_id = resource.id", [], [])


def test_overlaps_is_the_array_operator() -> None:
    keys = [11, -7, 2**40]
    clause = overlaps(TOKEN.c.prefixes, keys)
    assert _rendered(clause) == _rendered(TOKEN.c.prefixes.overlap(literal(keys, _KEYS)))
    assert _rendered(clause) == (
        "search_token_1.prefixes && $0::BIGINT[]",
        [keys],
        ["ARRAY(BigInteger())"],
    )
