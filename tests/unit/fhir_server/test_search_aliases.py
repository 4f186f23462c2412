"""The search compiler's table aliases: built once and shared by every statement, never handed
out twice within one (two subqueries on one alias would correlate and drop a table)."""

from __future__ import annotations

from sqlalchemy import create_engine

from fhir_server.db.schema import search_reference, search_token
from fhir_server.store.search_engine import compile_search, page_statement
from fhir_server.store.search_sql.common import Aliases
from resources.search.parse import parse_search
from resources.search.registry import default_registry


def test_one_statement_gets_a_new_alias_each_time_and_the_next_gets_the_same_ones() -> None:
    first, second = Aliases(), Aliases()
    ones = [first.of(search_token) for _ in range(3)]
    assert len({id(alias) for alias in ones}) == 3
    assert [second.of(search_token) for _ in range(3)] == ones
    assert first.of(search_reference) is second.of(search_reference)


def test_past_the_kept_aliases_a_statement_gets_fresh_ones() -> None:
    aliases = Aliases()
    handed = [aliases.of(search_token) for _ in range(Aliases.KEPT + 2)]
    assert len({id(alias) for alias in handed}) == Aliases.KEPT + 2
    assert Aliases().of(search_token) is handed[0]


def _sql(resource_type: str, params: list[tuple[str, str]]) -> str:
    query = parse_search((resource_type,), params, default_registry(), strict=True)
    statement = page_statement(compile_search(query), 21)
    return str(statement.compile(create_engine("postgresql+psycopg://")))


def test_nested_subqueries_on_one_table_each_name_their_own_alias() -> None:
    params = [("encounter.patient.organization._id", "o1"), ("code", "c1"), ("status", "final")]
    sql = _sql("Observation", params)
    for n in (1, 2, 3):
        assert f"search_reference AS search_reference_{n}" in sql, sql
    for n in (1, 2):
        assert f"search_token AS search_token_{n}" in sql, sql
    # the same search compiled again reads the same
    assert _sql("Observation", params) == sql


def test_has_joins_the_sources_row_only_when_its_test_reads_it() -> None:
    by_code = _sql("Patient", [("_has:Observation:patient:code", "c1")])
    assert "resource AS resource_" not in by_code, by_code
    by_date = _sql("Patient", [("_has:Observation:patient:_lastUpdated", "gt2020")])
    assert "resource AS resource_1" in by_date, by_date
    assert "resource_1.deleted" in by_date, by_date
