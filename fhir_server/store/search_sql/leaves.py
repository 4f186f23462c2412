"""Each leaf node type with its index table and its predicate on one row of that table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Table

from fhir_server.db.schema import (
    search_date,
    search_number,
    search_quantity,
    search_reference,
    search_string,
    search_token,
    search_uri,
)
from fhir_server.store.search_sql import date, number, quantity, reference, string, token, uri
from fhir_server.store.search_sql.common import Scope
from resources.search.query import (
    DateMatch,
    Leaf,
    NumberMatch,
    QuantityMatch,
    ReferenceMatch,
    StringMatch,
    TokenMatch,
    UriMatch,
)

Predicate = Callable[[Any, FromClause, Scope], ColumnElement[bool]]

LEAVES: dict[type[Any], tuple[Table, Predicate]] = {
    StringMatch: (search_string, string.predicate),
    TokenMatch: (search_token, token.predicate),
    DateMatch: (search_date, date.predicate),
    NumberMatch: (search_number, number.predicate),
    QuantityMatch: (search_quantity, quantity.predicate),
    ReferenceMatch: (search_reference, reference.predicate),
    UriMatch: (search_uri, uri.predicate),
}


def leaf_table(leaf: Leaf) -> tuple[Table, Predicate]:
    """The table and predicate of ``leaf``."""
    return LEAVES[type(leaf)]
