"""``Scope.row_read`` says whether what was built in a scope reads its row's alias, as a walk
of the built SQL finds it: a chain's target or a ``_has`` source is joined on that answer, and
a wrong False would leave a row in the FROM list unjoined."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import ColumnClause, ColumnElement, FromClause
from sqlalchemy.sql.visitors import iterate

from fhir_server.db.schema import resource, search_reference
from fhir_server.store.search_sql.common import Scope
from fhir_server.store.search_sql.compile import compile_where
from resources.search.parse import parse_search
from resources.search.registry import default_registry

REGISTRY = default_registry()
NOW = datetime(2026, 1, 1, tzinfo=UTC)

TESTS = [
    [("family", "roe")],
    [("name:missing", "true")],
    [("name:missing", "false")],
    [("_id", "a,b")],
    [("_lastUpdated", "gt2014")],
    [("family", "roe"), ("_lastUpdated", "gt2014")],
    [("_tag", "s|c")],
    [("_profile", "http://p")],
    [("_text", "roe")],
    [("family:not", "roe")],
    [("general-practitioner.name", "x")],
    [("general-practitioner._lastUpdated", "gt2014")],
    [("_has:Observation:patient:code", "x")],
    [("_has:Observation:patient:_lastUpdated", "gt2014")],
    [("_has:Observation:patient:_has:Provenance:target:agent", "x")],
    [("birthdate", "ge2000"), ("gender", "female")],
    [("organization", "Organization/1"), ("identifier", "s|v")],
]


def _reads(clause: ColumnElement[bool], table: FromClause) -> bool:
    """Whether ``clause`` (subqueries included) reads a column of ``table``."""
    return any(
        isinstance(element, ColumnClause) and element.table is table for element in iterate(clause)
    )


@pytest.mark.parametrize("params", TESTS, ids=lambda p: "&".join(f"{k}={v}" for k, v in p))
@pytest.mark.parametrize("by_reference", [True, False], ids=["id-from-reference", "own-id"])
def test_row_read_is_what_the_sql_reads(params: list[tuple[str, str]], by_reference: bool) -> None:
    outer = Scope(resource, ("Observation",), NOW, "http://x/fhir")
    ref = outer.alias(search_reference)
    target = outer.alias(resource)
    scope = outer.narrowed(target, "Patient", ref.c.target_id if by_reference else None)
    query = parse_search(("Patient",), params, REGISTRY)
    clause = compile_where(query.where, scope)
    assert scope.row_read() == _reads(clause, target)


def test_both_answers_occur() -> None:
    """The cases above include rows read and rows not read (else the test proves little)."""
    answers = set()
    for params in TESTS:
        outer = Scope(resource, ("Observation",), NOW)
        target = outer.alias(resource)
        scope = outer.narrowed(target, "Patient", outer.alias(search_reference).c.target_id)
        compile_where(parse_search(("Patient",), params, REGISTRY).where, scope)
        answers.add(scope.row_read())
    assert answers == {True, False}
