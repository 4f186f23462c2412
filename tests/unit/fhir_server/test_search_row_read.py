"""``Scope.row_read`` says whether what was built in a scope reads its row's alias, as a walk
of the built SQL finds it: a chain's target or a ``_has`` source is joined on that answer, and
a wrong False would leave a row in the FROM list unjoined."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import pytest
from sqlalchemy import ColumnClause, ColumnElement, FromClause
from sqlalchemy.sql.visitors import iterate

from fhir_server.db.schema import resource, search_reference
from fhir_server.store.search_sql.common import Scope
from fhir_server.store.search_sql.compile import compile_where
from resources.crypto import protection
from resources.search.parse import parse_search
from resources.search.registry import default_registry
from tests.protection_state import blinded, protection_as

REGISTRY = default_registry()
NOW = datetime(2026, 1, 1, tzinfo=UTC)

PROTECTIONS: dict[str, protection.Protection | Literal["off"]] = {
    "plain": "off",
    "blinded": blinded(),
}
"""Without PHI protection and with it: names, birth dates and identifiers of a Patient are
then tested on blind index rows (``search_sql.blind``)."""

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
    [("birthdate", "2000"), ("gender", "female")],
    [("birthdate:missing", "true")],
    [("organization", "Organization/1"), ("identifier", "s|v")],
]


def _reads(clause: ColumnElement[bool], table: FromClause) -> bool:
    """Whether ``clause`` (subqueries included) reads a column of ``table``."""
    return any(
        isinstance(element, ColumnClause) and element.table is table for element in iterate(clause)
    )


def _compiled(
    params: list[tuple[str, str]], by_reference: bool
) -> tuple[Scope, ColumnElement[bool], FromClause]:
    """A Patient test compiled as a chain's inner test: its scope, the SQL, the row's alias."""
    outer = Scope(resource, ("Observation",), NOW, "http://x/fhir")
    ref = outer.alias(search_reference)
    target = outer.alias(resource)
    scope = outer.narrowed(target, "Patient", ref.c.target_id if by_reference else None)
    query = parse_search(("Patient",), params, REGISTRY)
    return scope, compile_where(query.where, scope), target


@pytest.mark.parametrize("params", TESTS, ids=lambda p: "&".join(f"{k}={v}" for k, v in p))
@pytest.mark.parametrize("by_reference", [True, False], ids=["id-from-reference", "own-id"])
@pytest.mark.parametrize("mode", PROTECTIONS)
def test_row_read_is_what_the_sql_reads(
    params: list[tuple[str, str]], by_reference: bool, mode: str
) -> None:
    with protection_as(PROTECTIONS[mode]):
        scope, clause, target = _compiled(params, by_reference)
    assert scope.row_read() == _reads(clause, target)


@pytest.mark.parametrize("mode", PROTECTIONS)
def test_both_answers_occur(mode: str) -> None:
    """The cases above include rows read and rows not read (else the test proves little)."""
    with protection_as(PROTECTIONS[mode]):
        answers = {_compiled(params, True)[0].row_read() for params in TESTS}
    assert answers == {True, False}
