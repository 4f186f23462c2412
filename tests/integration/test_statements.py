"""A search's statements on psycopg (``OnPsycopg``, the store's searches) answer what the same
statements answer on a SQLAlchemy connection (``OnConnection``, searches in a transaction):
the same rows, by position and by name, for the kinds of statement and parameter the search
compiler makes; SQLAlchemy's errors for the database's; and every execution planned for its
values."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import Executable, Uuid, any_, cast, func, literal, select, text, tuple_
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.exc import DataError, OperationalError

from fhir_server.db import migrate
from fhir_server.db.engine import create_engine
from fhir_server.db.schema import resource, resource_version
from fhir_server.embedded import ServiceUrls
from fhir_server.store.explain import Explain
from fhir_server.store.fast_reads import FastReader
from fhir_server.store.rows import VERSION_COLUMNS
from fhir_server.store.statements import OnConnection, OnPsycopg, Statements
from tests.servers import fresh_database

pytestmark = pytest.mark.integration

R, V = resource.c, resource_version.c
SEED = [
    """INSERT INTO resource SELECT 'Patient', 'p' || i, 1, now(), i % 5 = 0
    FROM generate_series(1, 30) AS i""",
    """INSERT INTO resource_version (resource_type, id, version_id, last_updated, deleted,
    method, body) SELECT 'Patient', 'p' || i, 1, now(), i % 5 = 0, 'POST',
    convert_to('{"resourceType":"Patient","id":"p' || i || '"}', 'UTF8')
    FROM generate_series(1, 30) AS i""",
]
ROWS: list[Executable] = [
    select(*VERSION_COLUMNS).where(V.id.in_(["p1", "p2", "p10"])).order_by(V.id),  # IN list
    select(R.id).where(R.id.not_in(["p1"]), R.id < "p2").order_by(R.id),
    select(R.id).where(R.id == any_(array(["p3", "p4"]))).order_by(R.id),  # array parameter
    select(R.id, R.deleted)
    .where(  # a row value IN a subquery, booleans, a limit
        tuple_(R.resource_type, R.id).in_(select(V.resource_type, V.id).where(V.deleted))
    )
    .order_by(R.id.desc())
    .limit(3),
    select(R.id.label("id"), V.id.label("id_1"))
    .join_from(  # two columns named alike
        resource, resource_version, (V.id == R.id) & (V.resource_type == R.resource_type)
    )
    .where(R.id == "p7"),
]
SCALARS: list[Executable] = [
    select(func.count()).select_from(resource).where(~R.deleted),
    Explain(select(R.id).where(R.id.in_(["p1", "p2"]))),
    select(literal(b"\x00\xff")),
    select(cast(literal("7f1b2a7e-0c1d-4e5f-8a9b-0c1d2e3f4a5b"), Uuid(as_uuid=False))),  # a str
]


def _run(url: str, body: Callable[[Statements, Statements], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        engine = create_engine(url, 2)
        reader = FastReader(url, 2)
        await reader.open()
        try:
            async with engine.begin() as conn:
                for statement in SEED:
                    await conn.execute(text(statement))
            async with engine.connect() as conn, reader.search_pool.connection() as raw:
                return await body(OnConnection(conn), OnPsycopg(raw, engine.dialect))
        finally:
            await reader.close()
            await engine.dispose()

    return asyncio.run(run())


@pytest.fixture
def url(services: ServiceUrls) -> Any:
    with fresh_database(services.database_url) as database:
        migrate.upgrade(database)
        yield database


def test_both_answer_the_same_rows_and_values(url: str) -> None:
    async def body(on_sqlalchemy: Statements, on_psycopg: Statements) -> None:
        for statement in ROWS:
            expected = await on_sqlalchemy.rows(statement)
            got = await on_psycopg.rows(statement)
            assert [tuple(r) for r in got] == [tuple(r) for r in expected], statement
            assert expected, statement  # each statement finds something
            for name in expected[0]._fields:
                assert [getattr(r, name) for r in got] == [getattr(r, name) for r in expected]
        for statement in SCALARS:
            expected = await on_sqlalchemy.scalar(statement)
            got = await on_psycopg.scalar(statement)
            assert (type(got), got) == (type(expected), expected), statement

    _run(url, body)


def test_the_database_s_errors_are_sqlalchemy_s(url: str) -> None:
    async def body(on_sqlalchemy: Statements, on_psycopg: Statements) -> None:
        with pytest.raises(DataError):
            await on_psycopg.scalar(select(literal(1) / literal(0)))
        assert await on_psycopg.scalar(select(literal(1))) == 1  # the connection still serves
        assert isinstance(on_psycopg, OnPsycopg)
        await on_psycopg.conn.close()
        with pytest.raises(OperationalError):  # the server's 503, not a 500
            await on_psycopg.rows(select(R.id))

    _run(url, body)


def test_a_repeated_search_is_planned_for_its_values_every_time(url: str) -> None:
    """psycopg prepares a statement from its fifth run; PostgreSQL could then plan it once for
    every value (see ``engine.CUSTOM_PLANS``)."""

    async def body(on_sqlalchemy: Statements, on_psycopg: Statements) -> list[tuple[int, int]]:
        statement = select(R.id).where(R.id == "p3", ~R.deleted)
        for _ in range(16):
            assert [r.id for r in await on_psycopg.rows(statement)] == ["p3"]
        plans = text("SELECT generic_plans, custom_plans FROM pg_prepared_statements")
        return [(r.generic_plans, r.custom_plans) for r in await on_psycopg.rows(plans)]

    plans = _run(url, body)
    assert plans  # prepared: no parsing at every run
    assert all(generic == 0 and custom >= 10 for generic, custom in plans), plans
