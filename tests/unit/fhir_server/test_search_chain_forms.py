"""When a chain through several target types is one array of its sources, and when it stays
an EXISTS (one through all its types: ``chain.chain_across``); when a ``_has`` is a one-row probe
(``Has.many_sources``)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import create_engine

from fhir_server.store.search_engine import compile_search, page_statement
from resources.search.parse import parse_search
from resources.search.query import AllOf, Has
from resources.search.registry import default_registry
from tests.protection_state import blinded, protection_as

ARRAY = "= ANY (array("


def _sql(params: list[tuple[str, str]], types: tuple[str, ...] = ("Observation",)) -> str:
    query = parse_search(types, params, default_registry(), strict=True)
    statement = page_statement(compile_search(query), 21)
    return str(statement.compile(create_engine("postgresql+psycopg://")))


def test_the_searchs_one_test_is_one_array_of_both_chains_sources() -> None:
    sql = _sql([("encounter.patient.family", "ames")])
    assert sql.count(ARRAY) == 1, sql
    assert "UNION ALL" in sql, sql
    assert " OR (EXISTS" not in sql, sql


def test_a_targets_one_test_through_several_types_is_an_array_too() -> None:
    # Encounter.patient and EpisodeOfCare.patient: a Patient or a Group
    sql = _sql([("encounter.patient._id", "p1")])
    assert sql.count(ARRAY) == 3, sql


def test_beside_another_test_the_chain_stays_an_exists() -> None:
    """PostgreSQL may then start from the narrower test and probe each row's chain."""
    sql = _sql([("patient", "Patient/p1"), ("encounter.status", "finished")])
    assert ARRAY not in sql, sql
    assert sql.count("EXISTS") >= 3, sql


def test_beside_another_test_a_chain_through_several_types_is_one_exists() -> None:
    """One EXISTS whose reference may point at either type, the target's rows owned by the
    reference's ``target_type``: PostgreSQL can make it a join, or probe it for each row
    walked, where an OR of an EXISTS per type was a hashed set of every match."""
    sql = _sql([("encounter.class", "AMB"), ("encounter.date", "ge2015")])
    assert sql.count("FROM search_reference") == 2, sql
    assert "target_type IN (__[POSTCOMPILE" in sql, sql
    assert "search_date_1.resource_type = search_reference_2.target_type" in sql, sql
    assert " OR (EXISTS" not in sql, sql
    assert ARRAY not in sql, sql
    assert TARGET_ROW not in sql, sql
    # a test that reads the target's row joins it, of the reference's type
    joined = _sql([("code", "9"), ("encounter._id", "e1")])
    assert "resource_1.resource_type = search_reference_1.target_type" in joined, joined
    assert joined.count(TARGET_ROW) == 1, joined


def test_a_blinded_test_through_several_types_is_owned_by_the_references_type() -> None:
    """``performer.family``: a Patient's or a Practitioner's family name (one parameter of
    both), kept as blind index rows under PHI protection."""
    with protection_as(blinded()):
        sql = _sql([("code", "9"), ("performer.family", "ames")])
    assert "target_type IN (__[POSTCOMPILE" in sql, sql
    assert "_2.resource_type = search_reference_1.target_type" in sql, sql
    assert "prefixes &&" in sql, sql
    assert TARGET_ROW not in sql, sql


def test_a_chain_through_one_type_stays_an_exists() -> None:
    assert ARRAY not in _sql([("subject:Patient.family", "ames")])


TARGET_ROW = "resource AS resource_"


def test_a_chain_reads_its_targets_own_rows_without_the_targets_resource_row() -> None:
    """Only live resources have index rows: a test that needs some of the target's own
    leaves its ``resource`` row out (PostgreSQL misjudged that join)."""
    assert TARGET_ROW not in _sql([("subject:Patient.family", "ames")])
    assert TARGET_ROW not in _sql([("encounter.class", "AMB"), ("encounter.date", "ge2018")])
    assert TARGET_ROW not in _sql([("patient.organization.name", "acme")])
    assert TARGET_ROW not in _sql([("subject:Patient.name:missing", "false")])


def test_a_chain_joins_its_targets_row_where_its_test_may_hold_without_rows() -> None:
    for name, value in (
        ("birthdate:missing", "true"),
        ("gender:not", "male"),
        ("_id", "p1"),
        ("_lastUpdated", "gt2020"),
        ("_has:Observation:patient:code", "c1"),
        ("family:missing", "true"),
    ):
        sql = _sql([(f"subject:Patient.{name}", value)])
        assert sql.count(TARGET_ROW) == 1, (name, sql)
    # a chain needs rows of the target: only the last level joins its target's row
    assert _sql([("patient.organization._id", "o1")]).count(TARGET_ROW) == 1


def _has_sql(many_sources: bool) -> str:
    query = parse_search(
        ("Patient",), [("_has:Observation:patient:code", "c1")], default_registry(), strict=True
    )
    (has,) = query.where.items
    assert isinstance(has, Has)
    sized = replace(query, where=AllOf((replace(has, many_sources=many_sources),)))
    statement = page_statement(compile_search(sized), 21)
    return str(statement.compile(create_engine("postgresql+psycopg://")))


def test_a_has_with_many_sources_is_a_one_row_probe_postgresql_cannot_join() -> None:
    walked, joined = _has_sql(many_sources=True), _has_sql(many_sources=False)
    assert "EXISTS (SELECT * \nFROM search_reference" in joined, joined
    assert "EXISTS (SELECT * \nFROM search_reference" not in walked, walked
    assert "FROM search_reference AS search_reference_1" in walked, walked
    assert ") IS NOT NULL" in walked, walked
    # and each source's test a probe of its own, which PostgreSQL cannot join either
    assert ")) IS true" in walked, walked
    assert "IS true" not in joined, joined
