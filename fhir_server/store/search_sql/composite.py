"""Composite parameters (``code-value-quantity=loinc|8480-6$gt100``): every component matches
the same composite value.

A composite value is stored as one key row (``search_composite``) plus one row per component in
that component's own table, under the parameter ``code$i`` and with ``composite_ord`` naming the
value; so each component is tested by its own type's predicate, with its indexes. The query is
an EXISTS on the first component, with one correlated EXISTS per further component on the same
``composite_ord``.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists
from sqlalchemy.sql.operators import eq

from fhir_server.store.search_sql.common import Scope, compare, rows_exist
from fhir_server.store.search_sql.leaves import leaf_table
from resources.search.query import CompositeMatch


def component_param(code: str, position: int) -> str:
    """The parameter under which component ``position`` of composite ``code`` is stored."""
    return f"{code}${position}"


def compile_composite(match: CompositeMatch, scope: Scope) -> ColumnElement[bool]:
    """EXISTS a composite value of the parameter whose components all match."""
    first, *rest = match.components
    table, predicate = leaf_table(first)
    anchor = scope.alias(table)
    others = []
    for position, leaf in enumerate(rest, start=1):
        other_table, other_predicate = leaf_table(leaf)
        other = scope.alias(other_table)
        others.append(
            exists().where(
                compare(other.c.resource_type, eq, anchor.c.resource_type),
                compare(other.c.resource_id, eq, anchor.c.resource_id),
                compare(other.c.param, eq, component_param(match.param.code, position)),
                compare(other.c.composite_ord, eq, anchor.c.composite_ord),
                other_predicate(leaf, other, scope),
            )
        )
    code = component_param(match.param.code, 0)
    return rows_exist(anchor, code, scope, predicate(first, anchor, scope), *others)
