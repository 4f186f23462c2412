"""Table definitions (SQLAlchemy Core) used to build queries; migrations create them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY

metadata = MetaData()

resource = Table(
    "resource",
    metadata,
    Column("resource_type", Text, primary_key=True),
    Column("id", Text, primary_key=True),
    Column("version_id", Integer, nullable=False),
    Column("last_updated", DateTime(timezone=True), nullable=False),
    Column("deleted", Boolean, nullable=False),
)
"""One row per logical resource, pointing at its current version."""

resource_version = Table(
    "resource_version",
    metadata,
    Column("resource_type", Text, primary_key=True),
    Column("id", Text, primary_key=True),
    Column("version_id", Integer, primary_key=True),
    Column("txid", BigInteger, Identity(always=True), nullable=False, unique=True),
    Column("last_updated", DateTime(timezone=True), nullable=False),
    Column("method", Text, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("body", LargeBinary, nullable=True),
    Column("body_key", Text, nullable=True),
)
"""One row per version, the current one included; ``body`` is the resource's JSON, sealed
under the data key ``body_key`` (hex id; None for a body stored before encryption)."""

C_TEXT = Text(collation="C")
"""Byte-order text: prefix searches become btree ranges, whatever the database's collation."""
INSTANT = DateTime(timezone=True)


def _index_table(name: str, *columns: Column[Any]) -> Table:
    """An index table: the owner (type, id), the parameter code, the value columns, and
    ``composite_ord``, set only on the component rows of a composite value (see
    ``search_composite``)."""
    return Table(
        name,
        metadata,
        Column("resource_type", Text, nullable=False),
        Column("resource_id", Text, nullable=False),
        Column("param", Text, nullable=False),
        *columns,
        Column("composite_ord", SmallInteger, nullable=True),
    )


search_string = _index_table(
    "search_string",
    Column("normalised", C_TEXT, nullable=False),
    Column("exact", C_TEXT, nullable=False),
)
"""String values of the current versions: normalised (lowercase, no accents) and as written."""

search_token = _index_table(
    "search_token",
    Column("system", C_TEXT, nullable=True),
    Column("code", C_TEXT, nullable=True),
    Column("text", C_TEXT, nullable=True),
    Column("type_system", C_TEXT, nullable=True),
    Column("type_code", C_TEXT, nullable=True),
    Column("prefixes", ARRAY(BigInteger), nullable=True),
)
"""Token values: ``system|code``, the normalised display text, an identifier's type; the
blind index of a PHI string value (``resources.crypto.blind``): its prefix keys in
``prefixes`` (under a GIN index), the digest of its text as written in ``text``."""

search_date = _index_table(
    "search_date",
    Column("low", INSTANT, nullable=False),
    Column("high", INSTANT, nullable=False),
)
"""Date values as half-open UTC ranges ``[low, high)``."""

search_number = _index_table(
    "search_number",
    Column("low", Numeric, nullable=True),
    Column("high", Numeric, nullable=True),
    Column("value", Numeric, nullable=True),
)
"""Numbers: the value and its precision range (None bounds are open)."""

search_quantity = _index_table(
    "search_quantity",
    Column("low", Numeric, nullable=True),
    Column("high", Numeric, nullable=True),
    Column("value", Numeric, nullable=True),
    Column("system", C_TEXT, nullable=True),
    Column("code", C_TEXT, nullable=True),
    Column("unit", C_TEXT, nullable=True),
)
"""Quantities: as numbers, plus the unit's system, code and display unit."""

search_reference = _index_table(
    "search_reference",
    Column("target_type", Text, nullable=True),  # the collation of resource's columns (0015)
    Column("target_id", Text, nullable=True),
    Column("version", C_TEXT, nullable=True),
    Column("url", C_TEXT, nullable=True),
    Column("identifier_system", C_TEXT, nullable=True),
    Column("identifier_value", C_TEXT, nullable=True),
)
"""References: the local target (``Type/id``), an absolute or canonical URL, an identifier."""

search_uri = _index_table("search_uri", Column("uri", C_TEXT, nullable=False))
"""Uri values as written."""

search_composite = Table(
    "search_composite",
    metadata,
    Column("resource_type", Text, nullable=False),
    Column("resource_id", Text, nullable=False),
    Column("param", Text, nullable=False),
    Column("ord", SmallInteger, nullable=False),
)
"""One row per composite value (its key); the components are rows of the typed tables with
``param`` = ``code$i`` (i = component position) and ``composite_ord`` = ``ord``."""

INDEX_TABLES: dict[str, Table] = {
    "string": search_string,
    "token": search_token,
    "date": search_date,
    "number": search_number,
    "quantity": search_quantity,
    "reference": search_reference,
    "uri": search_uri,
    "composite": search_composite,
}
"""The index table of each search-parameter type."""
