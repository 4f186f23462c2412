"""A batch's array parameters go to PostgreSQL in psycopg's binary array form.

In text form every element is quoted and escaped in Python, the sealed bodies (``bytea``, as
hex) in full. ``tests/integration/test_create_many.py`` checks that what a batch writes is
what single creates write; here, that the arrays are bound so psycopg picks its binary dumper.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg.adapt import PyFormat, Transformer
from psycopg.types.array import ListBinaryDumper, ListDumper
from sqlalchemy.dialects import postgresql

from fhir_server.db.binary_arrays import BinaryArray
from fhir_server.store.create_many import resources_statement, versions_statement

DIALECT = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
SAMPLES: dict[str, list[Any]] = {
    "type": ["Observation"],
    "id": ["o1"],
    "at": [datetime(2026, 1, 1, tzinfo=UTC)],
    "method": ["PUT"],
    "body": [b'\\x00"{},'],
}


def _bound(statement: Any, name: str, value: list[Any]) -> Any:
    compiled = statement.compile(dialect=DIALECT)
    process = compiled.binds[name].type.dialect_impl(DIALECT).bind_processor(DIALECT)
    return process(value) if process else value


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_version_arrays_are_binary(name: str) -> None:
    bound = _bound(versions_statement(), name, SAMPLES[name])
    assert isinstance(bound, BinaryArray)
    assert bound == SAMPLES[name]
    dumper = Transformer(psycopg.adapters).get_dumper(bound, PyFormat.AUTO)
    assert isinstance(dumper, ListBinaryDumper)


@pytest.mark.parametrize("name", ["type", "id", "at"])
def test_resource_arrays_are_binary(name: str) -> None:
    assert isinstance(_bound(resources_statement(), name, SAMPLES[name]), BinaryArray)


def test_the_body_key_array_may_be_all_null_so_it_stays_text() -> None:
    """Without PHI protection every key is null: a binary array could not name its type."""
    bound = _bound(versions_statement(), "key", [None, None])
    assert not isinstance(bound, BinaryArray)
    assert isinstance(Transformer(psycopg.adapters).get_dumper(bound, PyFormat.AUTO), ListDumper)


def test_the_statement_still_casts_each_array() -> None:
    text = str(versions_statement().compile(dialect=DIALECT))
    assert "%(body)s::BYTEA[]" in text
    assert "%(at)s::TIMESTAMP WITH TIME ZONE[]" in text
