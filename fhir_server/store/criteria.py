"""The search criteria the store answers so far (``_id``, ``identifier``), compiled to SQL.

The full search parameter registry and parser replace this module; the contract stays:
criteria in, a boolean SQL clause over ``resource`` out.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, or_, select, true

from fhir_server.db.schema import resource, search_token
from resources import error_codes
from resources.errors import Invalid, NotSupported
from resources.ports import Criteria

SUPPORTED = frozenset({"_id", "identifier"})


def _token_clause(value: str) -> ColumnElement[bool]:
    if "|" not in value:
        return search_token.c.code == value
    system, code = value.split("|", 1)
    if not code:
        return search_token.c.system == system
    if not system:
        return and_(search_token.c.code == code, search_token.c.system.is_(None))
    return and_(search_token.c.code == code, search_token.c.system == system)


def _identifier(values: list[str]) -> ColumnElement[bool]:
    return exists(
        select(1).where(
            search_token.c.resource_type == resource.c.resource_type,
            search_token.c.resource_id == resource.c.id,
            search_token.c.param == "identifier",
            or_(*(_token_clause(v) for v in values)),
        )
    )


def compile_criteria(criteria: Criteria) -> ColumnElement[bool]:
    """AND of the parameters, OR of each parameter's comma-separated values."""
    clauses: list[ColumnElement[bool]] = []
    for name, raw in criteria:
        values = [v for v in raw.split(",") if v]
        if not values:
            raise Invalid(f"Search parameter {name} has no value", error_codes.BAD_PARAMETER)
        if "\x00" in raw:  # PostgreSQL text cannot hold NUL; it matches nothing we store
            raise Invalid(f"Search parameter {name} contains NUL", error_codes.BAD_PARAMETER)
        if name == "_id":
            clauses.append(resource.c.id.in_(values))
        elif name == "identifier":
            clauses.append(_identifier(values))
        else:
            raise NotSupported(
                f"Search parameter {name!r} is not supported here", error_codes.UNKNOWN_PARAMETER
            )
    return and_(true(), *clauses)
