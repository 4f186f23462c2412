"""A chain whose parameter points at several types (``Observation.encounter``: Encounter or
EpisodeOfCare) tests the same inner parameter on each: one EXISTS over the reference rows of
all those types, not an OR of one per type, which PostgreSQL could only run as a filter on
every candidate row in page order."""

from __future__ import annotations

from sqlalchemy import create_engine

from fhir_server.store.search_engine import compile_search, page_statement
from resources.search.parse import parse_search
from resources.search.query import AllOf, AnyOf, Chain
from resources.search.registry import default_registry


def _sql(resource_type: str, params: list[tuple[str, str]]) -> str:
    query = parse_search((resource_type,), params, default_registry(), strict=True)
    statement = page_statement(compile_search(query), 21)
    return str(statement.compile(create_engine("postgresql+psycopg://")))


def test_the_parser_gives_one_chain_per_target_type() -> None:
    query = parse_search(
        ("Observation",), [("encounter.patient.family", "ames")], default_registry()
    )
    assert isinstance(query.where, AllOf)
    (either,) = query.where.items
    assert isinstance(either, AnyOf)
    targets = sorted(item.target_type for item in either.items if isinstance(item, Chain))
    assert targets == ["Encounter", "EpisodeOfCare"]


def test_chains_that_differ_only_in_target_type_are_one_exists() -> None:
    sql = _sql("Observation", [("encounter.patient.family", "ames")])
    assert sql.count("FROM search_reference") == 2, sql  # encounter, then patient
    assert " OR " not in sql, sql
    assert "search_reference_1.target_type IN" in sql, sql
    assert "resource_1.resource_type = search_reference_1.target_type" in sql, sql


def test_chains_to_different_tests_stay_apart() -> None:
    # Patient.name and Location.name are different parameters: one EXISTS each
    sql = _sql("Observation", [("subject.name", "ames")])
    assert sql.count("FROM search_reference") == 2, sql
    assert " OR " in sql, sql
