"""Lists that psycopg sends to PostgreSQL as binary arrays.

psycopg sends a Python list as an array literal in text form: each element is dumped to text,
then searched for characters that need quoting and, where one is found, escaped, both in Python
for every element. A ``bytea`` element is written as hex (``\\x...``), which always needs
quoting: the escaping pass goes over the whole body. A batch's sealed bodies spent about 40 us
a resource there. ``BinaryArray`` marks a list that psycopg dumps in its binary array format
instead, element by element with the binary dumpers, nothing quoted.

Only for lists whose elements share one type and are not all null: the binary form names its
element type, taken from the first element that is not null.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.types.array import ListBinaryDumper
from sqlalchemy import ARRAY, Dialect, TypeDecorator
from sqlalchemy.types import TypeEngine


class BinaryArray(list[Any]):
    """A list sent as a binary array (see the module's note)."""


psycopg.adapters.register_dumper(BinaryArray, ListBinaryDumper)


class BinaryArrayType(TypeDecorator[list[Any]]):
    """A bound array parameter of ``item_type`` elements, sent as a ``BinaryArray``: the
    statement still casts it to the array type (``item_type[]``), and SQLAlchemy's own array
    processing, which would make it a plain list again, is not applied."""

    impl = ARRAY
    cache_ok = True

    def __init__(self, item_type: TypeEngine[Any]) -> None:
        super().__init__(item_type)

    def bind_processor(self, dialect: Dialect) -> Callable[[list[Any] | None], Any]:
        return _binary


def _binary(value: list[Any] | None) -> BinaryArray | None:
    return None if value is None else BinaryArray(value)
