"""The main search shapes use indexes: EXPLAIN over a database of some 100k resources and
330k index rows shows no sequential scan of a big table.

The data is generated in SQL (``generate_series``) straight into the resource, version and
index tables of a database of its own, then ANALYZEd; each query is compiled by the search
engine exactly as a request would be and explained with its bound parameters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, Select, create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine

from fhir_server.db import migrate
from fhir_server.db.engine import sync_url
from fhir_server.embedded import ServiceUrls
from fhir_server.store import cursor as cursor_codec
from fhir_server.store.cursor import Cursor
from fhir_server.store.explain import Explain, plan_nodes
from fhir_server.store.has_sources import WALK_FROM, WALK_ROWS, size_has
from fhir_server.store.includes import current_of, include_keys_query
from fhir_server.store.search_engine import (
    compile_search,
    count_statement,
    page_statement,
    run_search,
)
from fhir_server.store.statements import OnConnection
from resources.search.parse import parse_search
from resources.search.query import Has, SearchQuery
from resources.search.registry import default_registry
from resources.stored import StoredVersion
from tests.servers import fresh_database

pytestmark = pytest.mark.integration

COUNTS = {"patients": 10_000, "observations": 100_000, "organizations": 100}
BIG_TABLES = frozenset(
    {
        "resource",
        "resource_version",
        "search_string",
        "search_token",
        "search_date",
        "search_reference",
    }
)
LOAD = [
    """INSERT INTO resource (resource_type, id, version_id, last_updated, deleted)
    SELECT t, t || i, 1, now() - i * interval '1 second', false
    FROM (VALUES ('Patient', :patients), ('Observation', :observations),
                 ('Organization', :organizations)) AS kinds(t, n),
         generate_series(1, kinds.n) AS i""",
    """INSERT INTO resource_version
        (resource_type, id, version_id, last_updated, method, deleted, body)
    SELECT resource_type, id, 1, last_updated, 'POST', false,
           convert_to('{"resourceType":"' || resource_type || '","id":"' || id || '"}', 'UTF8')
    FROM resource""",
    """INSERT INTO search_string (resource_type, resource_id, param, normalised, exact)
    SELECT 'Patient', 'Patient' || i, p, 'fam' || i, 'Fam' || i
    FROM generate_series(1, :patients) AS i, (VALUES ('family'), ('name')) AS params(p)""",
    """INSERT INTO search_token (resource_type, resource_id, param, system, code)
    SELECT 'Observation', 'Observation' || i, 'code', 'http://loinc.org', 'c' || (i % 500)
    FROM generate_series(1, :observations) AS i""",
    """INSERT INTO search_token (resource_type, resource_id, param, system, code)
    SELECT 'Patient', 'Patient' || i, 'identifier', 'urn:mrn', 'mrn' || i
    FROM generate_series(1, :patients) AS i""",
    """INSERT INTO search_date (resource_type, resource_id, param, low, high)
    SELECT 'Observation', 'Observation' || i, 'date', d, d + interval '1 second'
    FROM generate_series(1, :observations) AS i,
         LATERAL (SELECT timestamptz '2019-01-01' + (i % 1000) * interval '1 day'
                  + (i % 86400) * interval '1 second' AS d) AS day""",
    """INSERT INTO search_reference
        (resource_type, resource_id, param, target_type, target_id)
    SELECT 'Observation', 'Observation' || i, p, 'Patient', 'Patient' || (i % :patients + 1)
    FROM generate_series(1, :observations) AS i,
         (VALUES ('subject'), ('patient')) AS params(p)""",
    """INSERT INTO search_reference
        (resource_type, resource_id, param, target_type, target_id)
    SELECT 'Patient', 'Patient' || i, 'organization', 'Organization',
           'Organization' || (i % :organizations + 1)
    FROM generate_series(1, :patients) AS i""",
    # every even Observation is a vital sign: those of the odd-numbered patients
    """INSERT INTO search_token (resource_type, resource_id, param, system, code)
    SELECT 'Observation', 'Observation' || i, 'category', 'http://hl7.org/cs', 'vital-signs'
    FROM generate_series(2, :observations, 2) AS i""",
    "ANALYZE",
]


@pytest.fixture(scope="module")
def loaded(services: ServiceUrls) -> Iterator[Engine]:
    """A database of its own, migrated and filled."""
    # rows made up in SQL to size the plans, not FHIR resources
    with fresh_database(services.database_url, check_stored=False) as url:
        migrate.upgrade(url)
        engine = create_engine(sync_url(url))
        with engine.begin() as conn:
            for statement in LOAD:
                conn.execute(text(statement), COUNTS)
        try:
            yield engine
        finally:
            engine.dispose()


def _scans(engine: Engine, statement: Select[Any]) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        plan = conn.execute(Explain(statement)).scalar_one()
    return [
        (node["Node Type"], node.get("Relation Name", ""))
        for node in plan_nodes(plan[0]["Plan"])
        if "Scan" in node["Node Type"]
    ]


def _search(resource_type: str, params: list[tuple[str, str]]) -> Select[Any]:
    query = parse_search((resource_type,), params, default_registry(), strict=True)
    return page_statement(compile_search(query), query.count + 1)


SHAPES = {
    "token eq": ("Observation", [("code", "http://loinc.org|c42")]),
    "string starts": ("Patient", [("family", "fam123")]),
    "string contains": ("Organization", [("name:contains", "am1234")]),
    "date range": ("Observation", [("date", "ge2020-03-01"), ("date", "lt2020-03-02")]),
    "reference by patient": ("Observation", [("patient", "Patient/Patient77")]),
    "identifier": ("Patient", [("identifier", "urn:mrn|mrn77")]),
    "chain": ("Observation", [("subject:Patient.family", "fam77")]),
    "chain depth 2": ("Observation", [("patient.organization._id", "Organization7")]),
    "_has": ("Patient", [("_has:Observation:subject:code", "c42"), ("family", "fam4")]),
    "token and patient": ("Observation", [("patient", "Patient42"), ("code", "c41")]),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_search_shapes_use_indexes(loaded: Engine, shape: str) -> None:
    resource_type, params = SHAPES[shape]
    scans = _scans(loaded, _search(resource_type, params))
    assert scans, shape
    sequential = [relation for kind, relation in scans if kind == "Seq Scan"]
    assert not set(sequential) & BIG_TABLES, (shape, scans)


def test_count_uses_indexes(loaded: Engine) -> None:
    query = parse_search(("Observation",), [("code", "c7")], default_registry())
    scans = _scans(loaded, count_statement(compile_search(query)))
    assert not {r for k, r in scans if k == "Seq Scan"} & BIG_TABLES, scans


def test_a_count_reads_only_index_rows(loaded: Engine) -> None:
    """Only live resources' current versions have index rows, so a count of a code's
    Observations counts their token rows and reads no ``resource`` row; a test on the
    resource row itself (``_lastUpdated``) still reads it."""
    registry = default_registry()
    coded = parse_search(("Observation",), [("code", "c7"), ("_summary", "count")], registry)
    scans = _scans(loaded, count_statement(compile_search(coded)))
    assert {r for _, r in scans} == {"search_token"}, scans
    assert {k for k, _ in scans} == {"Index Only Scan"}, scans  # the ids are in the index
    recent = [("code", "c7"), ("_lastUpdated", "gt2000-01-01"), ("_summary", "count")]
    query = parse_search(("Observation",), recent, registry)
    assert "resource" in {r for _, r in _scans(loaded, count_statement(compile_search(query)))}


def _include_scans(engine: Engine, page_type: str, param: str, include: str) -> list[Any]:
    """The scans of the include query of ``include`` from a page of 20 ``page_type``; none is
    a sequential scan of a big table."""
    query = parse_search((page_type,), [(param, include)], default_registry())
    page = [
        StoredVersion(page_type, f"{page_type}{n}", 1, None, False, "POST", None)  # type: ignore[arg-type]
        for n in range(1, 21)
    ]
    keys = include_keys_query(query.includes[0], page)
    assert keys is not None
    scans = _scans(engine, current_of(keys))
    assert not {r for k, r in scans if k == "Seq Scan"} & BIG_TABLES, scans
    return scans


def test_revinclude_uses_the_reverse_index(loaded: Engine) -> None:
    scans = _include_scans(loaded, "Patient", "_revinclude", "Observation:subject")
    assert ("Index Only Scan", "search_reference") in scans or any(
        r == "search_reference" and "Index" in k for k, r in scans
    ), scans


def test_include_reads_the_included_by_their_key(loaded: Engine) -> None:
    """The reference rows' targets join ``resource`` on its key: their columns share its
    collation (with byte-order targets no index of ``resource`` could serve the join, and
    every include read the whole table)."""
    scans = _include_scans(loaded, "Observation", "_include", "Observation:subject")
    assert any(r == "resource" and "Index" in k for k, r in scans), scans


ENCOUNTERS = [
    """INSERT INTO resource (resource_type, id, version_id, last_updated, deleted)
    SELECT 'Encounter', 'Encounter' || j, 1, now(), false FROM generate_series(1, 3000) AS j""",
    """INSERT INTO search_reference
        (resource_type, resource_id, param, target_type, target_id)
    SELECT 'Encounter', 'Encounter' || j, 'patient', 'Patient', 'Patient' || (j % :patients + 1)
    FROM generate_series(1, 3000) AS j""",
    """INSERT INTO search_reference
        (resource_type, resource_id, param, target_type, target_id)
    SELECT 'Observation', 'Observation' || i, 'encounter',
           'Encounter', 'Encounter' || (i % 3000 + 1)
    FROM generate_series(1, :observations) AS i""",
    "ANALYZE resource, search_reference",
]


def test_a_chain_through_several_types_reads_only_its_matches(loaded: Engine) -> None:
    """``Observation.encounter`` points at an Encounter or an EpisodeOfCare, and
    ``Encounter.patient`` at a Patient or a Group. Patient7's one Encounter has 33 of the 100k
    Observations, spread over the id order. The page reaches them from the chain's matches:
    as an OR of EXISTS per target type, it walked the Observations in id order until 21
    matched (tens of thousands of rows here, more the larger the table)."""
    # ``_id``, not a parameter kept as blind index rows once a test has loaded PHI keys
    query = _search("Observation", [("encounter.patient._id", "Patient7")])
    with loaded.connect() as conn:  # rolled back at the end
        for statement in ENCOUNTERS:
            conn.execute(text(statement), COUNTS)
        plan = conn.execute(Explain(query, analyze=True)).scalar_one()
        matched = [row.id for row in conn.execute(query)]
        ids = [f"Observation{i}" for i in range(1, COUNTS["observations"] + 1) if i % 3000 == 5]
        first = conn.execute(
            text("SELECT unnest(CAST(:ids AS text[])) ORDER BY 1 LIMIT 21"), {"ids": ids}
        )
        assert matched == list(first.scalars())  # the page and the next page's first
    removed = [
        (node["Node Type"], node.get("Rows Removed by Filter", 0) * node.get("Actual Loops", 1))
        for node in plan_nodes(plan[0]["Plan"])
        if node.get("Relation Name") == "resource"
    ]
    # a scan of the 3,000 Encounters may filter them all; the walk filtered ~59,000 rows
    assert all(rows <= 3_000 for _, rows in removed), removed


async def _sized_async(url: str, query: SearchQuery) -> SearchQuery:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await size_has(OnConnection(conn), query)
    finally:
        await engine.dispose()


def _sized(engine: Engine, params: list[tuple[str, str]]) -> SearchQuery:
    """The Patient search with its ``_has`` sized as a request's is."""
    query = parse_search(("Patient",), params, default_registry(), strict=True)
    url = engine.url.render_as_string(hide_password=False)
    return asyncio.run(_sized_async(url, query))


def _walked(query: SearchQuery) -> bool:
    has = query.where.items[0]
    assert isinstance(has, Has)
    return has.many_sources


def test_a_has_with_many_sources_walks_the_rows_in_page_order(loaded: Engine) -> None:
    """Half the patients have one of the 50,000 vital signs. As a join PostgreSQL guesses the
    matching patients from the distinct ids of every type, and may expect a handful and test
    every patient; with many sources the patients are walked in id order, each probed for one
    vital sign, and the walk stops at the page. A later page goes on after its cursor."""
    vital = [("_has:Observation:subject:category", "vital-signs")]
    query = _sized(loaded, vital)
    assert _walked(query)
    search = compile_search(query)
    statement = page_statement(search, query.count + 1)
    after_page = Cursor((), "Patient", f"Patient{2 * 3_000 + 1}")  # mid-way through
    with loaded.connect() as conn:
        plan = conn.execute(Explain(statement, analyze=True)).scalar_one()
        matched = [row.id for row in conn.execute(statement)]
        further = [row.id for row in conn.execute(page_statement(search, 21, after_page))]
    odd = sorted(f"Patient{p}" for p in range(1, COUNTS["patients"] + 1, 2))
    assert matched == odd[:21]
    assert further == [p for p in odd if p > after_page.id][:21]
    nodes = plan_nodes(plan[0]["Plan"])
    probes = [n for n in nodes if n.get("Parent Relationship") == "SubPlan"]
    assert probes[0]["Node Type"] == "Limit", nodes  # one source per patient
    # each source's test is an index probe of its own, not a join over every vital sign
    tests = [n for n in nodes if n.get("Relation Name") == "search_token"]
    assert [n.get("Parent Relationship") for n in tests] == ["SubPlan"], tests
    assert tests[0]["Node Type"] in ("Index Scan", "Index Only Scan"), tests
    assert tests[0]["Actual Rows"] <= 1, tests
    read = [
        n["Actual Rows"] * n["Actual Loops"] for n in nodes if n.get("Relation Name") == "resource"
    ]
    assert read, nodes
    assert max(read) < 100, read  # of 10,000 patients


def test_a_has_with_few_sources_a_sort_or_a_total_stays_a_join(loaded: Engine) -> None:
    """200 Observations of a code: PostgreSQL starts from them. A sort or a total tests every
    row, which the join does more cheaply than a walk."""
    assert not _walked(_sized(loaded, [("_has:Observation:subject:code", "c42")]))
    vital = ("_has:Observation:subject:category", "vital-signs")
    assert not _walked(_sized(loaded, [vital, ("_sort", "-_lastUpdated")]))
    assert not _walked(_sized(loaded, [vital, ("_total", "accurate")]))


LATE_CODE = [
    # 2,500 Observations of one code, of 100 patients whose ids come late in id order
    """INSERT INTO search_token (resource_type, resource_id, param, system, code)
    SELECT 'Observation', 'Late' || i, 'code', 'http://loinc.org', 'late'
    FROM generate_series(1, 2500) AS i""",
    """INSERT INTO search_reference
        (resource_type, resource_id, param, target_type, target_id)
    SELECT 'Observation', 'Late' || i, 'subject', 'Patient', 'Patient' || (9900 + i % 100)
    FROM generate_series(1, 2500) AS i""",
    "ANALYZE search_token, search_reference",
]


class _Recorded:
    """Statements run on a connection in its transaction, each recorded."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.run: list[Any] = []

    async def rows(self, statement: Any) -> list[Any]:
        self.run.append(statement)
        return list(self.conn.execute(statement).all())

    async def scalar(self, statement: Any) -> Any:
        self.run.append(statement)
        return self.conn.execute(statement).scalar_one()


def _patients_read(conn: Connection, statement: Any) -> int:
    """The most ``resource`` rows a node of the statement's plan read (kept or filtered)."""
    plan = conn.execute(Explain(statement, analyze=True)).scalar_one()
    return max(
        int((n["Actual Rows"] + n.get("Rows Removed by Filter", 0)) * n["Actual Loops"])
        for n in plan_nodes(plan[0]["Plan"])
        if n.get("Relation Name") == "resource"
    )


def test_a_walk_goes_through_at_most_walk_rows_then_the_join_answers(loaded: Engine) -> None:
    """A code on 2,500 Observations has many sources, so the patients are walked; but they
    belong to 100 patients late in id order. The walk stops after ``WALK_ROWS`` patients
    without a page and the join answers it: the same pages as the join alone, forwards and
    backwards, where an unbounded walk would have read some 9,000 patients first."""
    late = sorted(f"Patient{9900 + n}" for n in range(100))
    registry = default_registry()
    with loaded.connect() as conn:  # rolled back at the end
        for statement in LATE_CODE:
            conn.execute(text(statement))
        recorded = _Recorded(conn)
        query = parse_search(("Patient",), [("_has:Observation:subject:code", "late")], registry)
        first = asyncio.run(run_search(recorded, query, None))
        assert [v.id for v in first.matches] == late[:20]
        sized, bound, walk, joined = recorded.run
        assert conn.execute(sized).scalar_one() >= WALK_FROM
        assert conn.execute(bound).scalar_one() < late[0]  # the walk ends before them
        assert _patients_read(conn, walk) <= WALK_ROWS
        assert conn.execute(walk).all() == []
        assert [row.id for row in conn.execute(joined)] == late[:21]
        second = asyncio.run(run_search(recorded, query, first.next_cursor))
        assert [v.id for v in second.matches] == late[20:40]
        recorded.run.clear()
        back = asyncio.run(run_search(recorded, query, second.previous_cursor))
        assert [v.id for v in back.matches] == late[:20]
        _, _, walk_back, _ = recorded.run  # backwards from late[20], as far as forwards
        assert _patients_read(conn, walk_back) <= WALK_ROWS
        # near the end fewer than WALK_ROWS patients are left: the walk takes them all
        recorded.run.clear()
        near_end = cursor_codec.encode(Cursor((), "Patient", "Patient9989"), "")
        last = asyncio.run(run_search(recorded, query, near_end))
        assert [v.id for v in last.matches] == [p for p in late if p > "Patient9989"]
        assert len(recorded.run) == 3  # sized, bound (none), the walk


def test_a_walk_that_fills_its_page_needs_no_join(loaded: Engine) -> None:
    """Half the patients have a vital sign: the walk fills the page within its bound."""
    odd = sorted(f"Patient{p}" for p in range(1, COUNTS["patients"] + 1, 2))
    query = parse_search(
        ("Patient",), [("_has:Observation:subject:category", "vital-signs")], default_registry()
    )
    with loaded.connect() as conn:
        recorded = _Recorded(conn)
        page = asyncio.run(run_search(recorded, query, None))
        assert [v.id for v in page.matches] == odd[:20]
        assert len(recorded.run) == 3  # sized, bound, the walk
        # and backwards, from mid-way: the 20 before
        middle = cursor_codec.encode(Cursor((), "Patient", odd[3000], backward=True), "")
        recorded.run.clear()
        before = asyncio.run(run_search(recorded, query, middle))
        assert [v.id for v in before.matches] == odd[2980:3000]
        assert len(recorded.run) == 3
