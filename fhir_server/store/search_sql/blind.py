"""Search on PHI parameters stored as blind indexes (``resources.crypto.blind``).

Their rows are in the token table: one row per string value, its prefix keys in the array
``prefixes`` and the digest of its text as written in ``text``; token and date digests in
``code``. The search value is digested with the same key: the default starts-with string
search looks for its key in ``prefixes`` (``@>``, answered by the GIN index), ``:exact`` for
the digest of the text as written, tokens and ``eq`` dates at year, month or day precision
for equal codes. What a digest cannot answer (``:contains``, date ranges, prefixes longer
than ``MAX_PREFIX``, ``_sort``) is refused with a 400, never answered wrongly.
In a search over several types, resources of other types keep their plain index.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Exists,
    FromClause,
    Table,
    and_,
    exists,
    or_,
    true,
)
from sqlalchemy.sql.operators import eq

from fhir_server.db.schema import search_token
from fhir_server.store.search_sql import token
from fhir_server.store.search_sql.common import (
    Scope,
    compare,
    overlaps,
    owned_by,
    param_is,
    rows_exist,
)
from fhir_server.store.search_sql.leaves import leaf_table
from resources import error_codes
from resources.crypto.blind import MAX_PREFIX, BlindIndex, search_calendar
from resources.crypto.phi_params import digest_domain, phi_types, searched_params
from resources.crypto.protection import blind_index
from resources.errors import Invalid
from resources.search.param_def import SearchParamDef
from resources.search.query import DateMatch, Leaf, StringMatch, TokenMatch

BlindPredicate = Callable[[Any, FromClause, BlindIndex], ColumnElement[bool]]


def _refuse(code: str, why: str) -> Invalid:
    return Invalid(
        f"Search parameter '{code}': {why} (its values are stored as blind indexes)",
        error_codes.PHI_SEARCH_UNSUPPORTED,
    )


def _prefix_key(match: StringMatch, blind: BlindIndex) -> int | None:
    """The prefix key a default (starts-with) string search looks for, None for the others."""
    if match.mode != "starts" or not match.value:
        return None
    if len(match.value) > MAX_PREFIX:
        raise _refuse(
            match.param.code, f"a value longer than {MAX_PREFIX} characters cannot be searched"
        )
    return blind.prefix_key(digest_domain(match.param.code), match.value)


def _string(match: StringMatch, table: FromClause, blind: BlindIndex) -> ColumnElement[bool]:
    code = match.param.code
    if match.mode == "contains":
        raise _refuse(code, ":contains cannot be answered")
    if match.mode == "exact":
        return compare(table.c.text, eq, blind.exact(digest_domain(code), match.value))
    key = _prefix_key(match, blind)
    return true() if key is None else _overlaps(table, [key])


def _overlaps(table: FromClause, keys: list[int]) -> ColumnElement[bool]:
    """Any of ``keys`` among a row's prefix keys (``&&``: one scan of the GIN index)."""
    return overlaps(table.c.prefixes, keys)


def _matches(leaves: Sequence[Leaf], table: FromClause, blind: BlindIndex) -> ColumnElement[bool]:
    """Any of the leaves (an OR); the starts-with ones all in one ``&&``."""
    keys, others = [], []
    for leaf in leaves:
        key = _prefix_key(leaf, blind) if isinstance(leaf, StringMatch) else None
        if key is None:
            others.append(_BLIND[type(leaf)](leaf, table, blind))
        else:
            keys.append(key)
    return or_(*others, *([_overlaps(table, keys)] if keys else []))


def _token(match: TokenMatch, table: FromClause, blind: BlindIndex) -> ColumnElement[bool]:
    if match.mode != "text" and match.code is not None:
        digest = blind.token(match.param.code, match.code)
        match = TokenMatch(
            match.param,
            match.system,
            digest,
            match.no_system,
            match.mode,
            match.text,
            match.type_system,
            match.type_code,
        )
    return token.predicate(match, table, _NO_SCOPE)


def _date(match: DateMatch, table: FromClause, blind: BlindIndex) -> ColumnElement[bool]:
    code = match.param.code
    if match.prefix != "eq":
        raise _refuse(code, f"the prefix '{match.prefix}' (a range) cannot be answered")
    calendar = search_calendar(match.low, match.high)
    if calendar is None:
        raise _refuse(code, "only a year, a month or a day can be searched")
    return compare(table.c.code, eq, blind.date(code, calendar))


_NO_SCOPE = Scope(search_token, (), datetime.min.replace(tzinfo=UTC))
"""The token predicate reads no scope."""
_BLIND: dict[type[Any], BlindPredicate] = {
    StringMatch: _string,
    TokenMatch: _token,
    DateMatch: _date,
}


def _split(
    param: SearchParamDef,
    scope: Scope,
    blinded: ColumnElement[bool],
    plain: Callable[[], ColumnElement[bool]],
) -> ColumnElement[bool]:
    """``blinded`` for resources of person types, ``plain`` for the others of the scope."""
    types = phi_types(scope.types, param.code, param.type)
    if scope.types and set(types) == set(scope.types):
        return blinded
    type_column = scope.type_column()  # a column: the scope has several types
    assert not isinstance(type_column, str)
    person = type_column.in_(types)
    return or_(and_(person, blinded), and_(~person, plain()))


def _blind_rows_exist(table: FromClause, code: str, scope: Scope, *where: Any) -> Exists:
    """EXISTS a blind row of ``code``, or of the parts that store its values (``name``)."""
    params = searched_params(code)
    param = param_is(table, params[0]) if len(params) == 1 else table.c.param.in_(params)
    return exists().where(*owned_by(table, scope), param, *where)


def is_blinded(leaf: Leaf, types: Sequence[str]) -> bool:
    """Whether ``leaf``'s values are kept as blind index rows for some of ``types``."""
    return (
        blind_index() is not None
        and type(leaf) in _BLIND
        and bool(phi_types(types, leaf.param.code, leaf.param.type))
    )


def phi_exists(leaves: Sequence[Leaf], scope: Scope) -> ColumnElement[bool] | None:
    """EXISTS a blind index row matching any of ``leaves``, or None for a plain parameter."""
    first, blind = leaves[0], blind_index()
    if blind is None or not is_blinded(first, scope.types):
        return None
    code = first.param.code
    rows = scope.alias(search_token)
    blinded = _blind_rows_exist(rows, code, scope, _matches(leaves, rows, blind))

    def plain() -> ColumnElement[bool]:
        table, predicate = leaf_table(first)
        alias = scope.alias(table)
        return rows_exist(alias, code, scope, or_(*(predicate(x, alias, scope) for x in leaves)))

    return _split(first.param, scope, blinded, plain)


def phi_present(param: SearchParamDef, table: Table, scope: Scope) -> ColumnElement[bool] | None:
    """EXISTS a row of a PHI parameter (``:missing``), or None for a plain parameter."""
    code = param.code
    if blind_index() is None or not phi_types(scope.types, code, param.type):
        return None
    blinded = _blind_rows_exist(scope.alias(search_token), code, scope)
    return _split(param, scope, blinded, lambda: rows_exist(scope.alias(table), code, scope))


def refuse_sort(param: SearchParamDef, scope: Scope) -> None:
    """``_sort`` by a PHI parameter is refused: digests have no useful order."""
    code = param.code
    if blind_index() is not None and phi_types(scope.types, code, param.type):
        raise Invalid(
            f"_sort: {code} cannot be sorted on (its values are stored as blind indexes)",
            error_codes.PHI_SORT_UNSUPPORTED,
        )
