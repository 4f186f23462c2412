"""Token parameters: ``code``, ``system|code``, ``|code``, ``system|``, ``:text``, ``:of-type``;
``:in``/``:below``/``:above`` as the code lists ``terminology_codes`` found for them.
https://hl7.org/fhir/R4/search.html#token"""

from __future__ import annotations

from sqlalchemy import ColumnElement, FromClause, and_, false, or_, true
from sqlalchemy.sql.operators import eq

from fhir_server.store.search_sql.common import Scope, compare, starts_with
from fhir_server.store.text_limits import clip
from resources.search.query import TokenMatch


def predicate(match: TokenMatch, table: FromClause, scope: Scope) -> ColumnElement[bool]:
    """The token row matches; codes and systems compare exactly (case-sensitive)."""
    del scope
    columns = table.c
    if match.mode in ("in", "below", "above"):
        return _in_codes(match, table)
    if match.mode == "text":
        return starts_with(columns.text, clip(match.text or ""))
    clauses: list[ColumnElement[bool]] = []
    if match.code is not None:
        clauses.append(compare(columns.code, eq, clip(match.code)))
    if match.no_system:
        clauses.append(columns.system.is_(None))
    elif match.system is not None:
        clauses.append(compare(columns.system, eq, clip(match.system)))
    if match.mode == "of-type":
        clauses.append(compare(columns.type_code, eq, clip(match.type_code)))
        if match.type_system is not None:
            clauses.append(compare(columns.type_system, eq, clip(match.type_system)))
    return and_(true(), *clauses)


def _in_codes(match: TokenMatch, table: FromClause) -> ColumnElement[bool]:
    """One ``system = s AND code IN (...)`` per system of the resolved codes."""
    if match.codes is None:
        raise RuntimeError(f"':{match.mode}' reached SQL without its codes")
    by_system: dict[str, list[str]] = {}
    for system, code in match.codes:
        by_system.setdefault(system, []).append(clip(code))
    columns = table.c
    clauses = [
        and_(compare(columns.system, eq, clip(system)), columns.code.in_(codes))
        for system, codes in by_system.items()
    ]
    return or_(false(), *clauses)
