"""Search on PHI parameters stored as blind indexes (``resources.crypto.blind``).

The search value is digested with the same key and compared for equality: the default
starts-with string search through prefix digests, ``:exact`` through the digest of the text as
written, token codes and ``eq`` dates at year, month or day precision. What a digest cannot
answer (``:contains``, date ranges, prefixes longer than ``MAX_PREFIX``) is refused with a 400,
never answered wrongly. In a search over several types, rows of non-person types keep their
plain predicate.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, FromClause, Table, and_, or_, true

from fhir_server.db.schema import search_string, search_token
from fhir_server.store.search_sql import string, token
from fhir_server.store.search_sql.common import Scope
from fhir_server.store.search_sql.leaves import Predicate
from resources import error_codes
from resources.crypto.blind import MAX_PREFIX, BlindIndex, search_calendar
from resources.crypto.phi_params import phi_types
from resources.crypto.protection import blind_index
from resources.errors import Invalid
from resources.search.query import DateMatch, Leaf, StringMatch, TokenMatch


def _refuse(code: str, why: str) -> Invalid:
    return Invalid(
        f"Search parameter '{code}': {why} (its values are stored as blind indexes)",
        error_codes.PHI_SEARCH_UNSUPPORTED,
    )


def _blind() -> BlindIndex:
    found = blind_index()
    assert found is not None  # phi_leaf only answers with keys loaded
    return found


def _mixed(
    table: FromClause,
    scope: Scope,
    code: str,
    blind: ColumnElement[bool],
    plain: ColumnElement[bool],
) -> ColumnElement[bool]:
    """The blind predicate on person-type rows and the plain one on the others."""
    types = phi_types(scope.types, code)
    if scope.types and set(types) == set(scope.types):
        return blind
    person = table.c.resource_type.in_(types)
    return or_(and_(person, blind), and_(~person, plain))


def _string(match: StringMatch, table: FromClause, scope: Scope) -> ColumnElement[bool]:
    code = match.param.code
    if match.mode == "contains":
        raise _refuse(code, ":contains cannot be answered")
    if match.mode == "exact":
        blind = table.c.exact == _blind().exact(code, match.value)
    elif not match.value:
        blind = true()
    elif len(match.value) > MAX_PREFIX:
        raise _refuse(code, f"a value longer than {MAX_PREFIX} characters cannot be searched")
    else:
        blind = table.c.normalised == _blind().digest("p", code, match.value)
    return _mixed(table, scope, code, blind, string.predicate(match, table, scope))


def _token(match: TokenMatch, table: FromClause, scope: Scope) -> ColumnElement[bool]:
    plain = token.predicate(match, table, scope)
    if match.mode == "text" or match.code is None:
        return plain  # system and type text are stored as written: they are not PHI
    digested = TokenMatch(
        match.param,
        match.system,
        _blind().token(match.param.code, match.code),
        match.no_system,
        match.mode,
        match.text,
        match.type_system,
        match.type_code,
    )
    blind = token.predicate(digested, table, scope)
    return _mixed(table, scope, match.param.code, blind, plain)


def _date(match: DateMatch, table: FromClause, scope: Scope) -> ColumnElement[bool]:
    del scope
    code = match.param.code
    if match.prefix != "eq":
        raise _refuse(code, f"the prefix '{match.prefix}' (a range) cannot be answered")
    calendar = search_calendar(match.low, match.high)
    if calendar is None:
        raise _refuse(code, "only a year, a month or a day can be searched")
    return table.c.code == _blind().date(code, calendar)


_BLIND: dict[type[Any], tuple[Table, Predicate]] = {
    StringMatch: (search_string, _string),
    TokenMatch: (search_token, _token),
    DateMatch: (search_token, _date),
}


def phi_leaf(leaf: Leaf, scope: Scope) -> tuple[Table, Predicate] | None:
    """The table and predicate of a leaf on a PHI parameter, or None for a plain one."""
    if blind_index() is None or type(leaf) not in _BLIND:
        return None
    if not phi_types(scope.types, leaf.param.code):
        return None
    return _BLIND[type(leaf)]


def phi_table(code: str, param_type: str, scope: Scope) -> Table | None:
    """The table holding a PHI parameter's rows (``:missing``), or None for a plain one."""
    if blind_index() is None or not phi_types(scope.types, code):
        return None
    return search_token if param_type == "date" else None


def refuse_sort(code: str, scope: Scope) -> None:
    """``_sort`` by a PHI parameter is refused: digests have no useful order."""
    if blind_index() is not None and phi_types(scope.types, code):
        raise Invalid(
            f"_sort: {code} cannot be sorted on (its values are stored as blind indexes)",
            error_codes.PHI_SORT_UNSUPPORTED,
        )
