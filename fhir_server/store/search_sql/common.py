"""What every compiler shares: the scope a predicate is about, owner correlation, prefixes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar

from sqlalchemy import (
    BinaryExpression,
    BindParameter,
    Boolean,
    ColumnElement,
    Exists,
    FromClause,
    Table,
    and_,
    exists,
    true,
)
from sqlalchemy.dialects.postgresql.operators import OVERLAP
from sqlalchemy.sql.operators import OperatorType, eq, ge, gt, le, lt, ne

from resources.search.query import Expr

Compiler = Callable[[Expr, "Scope"], ColumnElement[bool]]


class Aliases:
    """The table aliases of one statement.

    The n-th alias of a table is the same object in every statement, built once with its
    column collection: building an alias's columns was a quarter of the time a search spent
    building its SQL. Within one statement an alias is never handed out twice, so two
    subqueries on one table never correlate by mistake.
    """

    KEPT = 32
    """Aliases kept per table; a statement needing more gets fresh ones past them."""
    _built: ClassVar[dict[tuple[str, int], FromClause]] = {}

    def __init__(self) -> None:
        self._used: dict[str, int] = {}

    def of(self, table: Table) -> FromClause:
        """An alias of ``table`` not yet used in this statement."""
        n = self._used.get(table.name, 0)
        self._used[table.name] = n + 1
        if n >= self.KEPT:
            return table.alias()
        alias = self._built.get((table.name, n))
        if alias is None:
            alias = table.alias()
            _ = alias.c  # the column collection, built once
            self._built[(table.name, n)] = alias
        return alias


class RowUse:
    """Whether anything built in a scope read its row's alias (``Scope.resource``)."""

    __slots__ = ("read",)

    def __init__(self) -> None:
        self.read = False


@dataclass(frozen=True)
class Scope:
    """The resource row a predicate tests: an alias of ``resource`` and the types it can have.

    ``base_url`` (the server's FHIR base) makes absolute references to this server local;
    ``now`` anchors the ``ap`` prefix on dates.
    """

    row: FromClause
    """The row's alias; read it as ``resource``, which records that it was read."""
    types: tuple[str, ...]
    now: datetime
    base_url: str | None = None
    aliases: Aliases = field(default_factory=Aliases)
    row_id: ColumnElement[str] | None = None
    """The row's id when another column holds it (a ``_has`` source's id is its reference
    row's ``resource_id``): predicates that need only the id then leave ``resource`` out."""
    row_type: ColumnElement[str] | None = None
    """The row's type, where it may have several, when another column holds it (a chain's
    target type is its reference row's ``target_type``), as ``row_id``."""
    use: RowUse = field(default_factory=RowUse, compare=False, repr=False)

    @property
    def resource(self) -> FromClause:
        """The row's alias. Every predicate reaches the row through here (or through
        ``type_column`` and ``id_column``, which come here when they need it), so
        ``row_read`` tells whether what was built in this scope reads the row: a chain's
        target or a ``_has`` source is joined only then. Reading it without using it only
        adds a join that changes nothing."""
        self.use.read = True
        return self.row

    def row_read(self) -> bool:
        """Whether what was built in this scope so far reads the row's alias."""
        return self.use.read

    def type_column(self) -> ColumnElement[str] | str:
        """The row's type: a constant when the scope has one type (helps the planner)."""
        if len(self.types) == 1:
            return self.types[0]
        if self.row_type is not None:
            return self.row_type
        column: ColumnElement[str] = self.resource.c.resource_type
        return column

    def id_column(self) -> ColumnElement[str]:
        """The row's id."""
        if self.row_id is not None:
            return self.row_id
        column: ColumnElement[str] = self.resource.c.id
        return column

    def narrowed(
        self, resource: FromClause, resource_type: str, row_id: ColumnElement[str] | None = None
    ) -> Scope:
        """The scope of another row (a chain's target, a ``_has`` source) of one type."""
        return Scope(resource, (resource_type,), self.now, self.base_url, self.aliases, row_id)

    def narrowed_to(
        self,
        resource: FromClause,
        types: tuple[str, ...],
        row_type: ColumnElement[str],
        row_id: ColumnElement[str] | None,
    ) -> Scope:
        """The scope of another row of one of ``types`` (a chain's target through several),
        its type held by ``row_type``."""
        return Scope(resource, types, self.now, self.base_url, self.aliases, row_id, row_type)

    def alias(self, table: Table) -> FromClause:
        """An alias of ``table`` of its own in this scope's statement."""
        return self.aliases.of(table)


_BOOLEAN = Boolean()
_NEGATED = {eq: ne, ne: eq, lt: ge, ge: lt, gt: le, le: gt}


def compare(column: ColumnElement[Any], operator: OperatorType, value: Any) -> ColumnElement[bool]:
    """``column <operator> value`` (``eq``, ``lt``... from ``sqlalchemy.sql.operators``): what
    ``column == value`` builds, the value bound in the type SQLAlchemy would give it, without
    the operator dispatch: about 20 µs a comparison on a 2-core machine, where a search of
    four tests makes 26 of them (``bench/search_sql.py``). ``value`` may be another column."""
    if isinstance(value, ColumnElement):
        right: ColumnElement[Any] = value
    else:
        type_ = column.type.coerce_compared_value(operator, value)
        right = BindParameter(column.key, value, type_=type_, unique=True)
    return BinaryExpression(column, right, operator, type_=_BOOLEAN, negate=_NEGATED[operator])


def overlaps(column: ColumnElement[Any], values: list[Any]) -> ColumnElement[bool]:
    """``column && :values`` (the array column shares an element with ``values``), bound in
    the column's array type: what ``column.overlap(literal(values, column.type))`` builds,
    without the operator dispatch (a quarter of a blinded name search's condition)."""
    right = BindParameter(None, values, type_=column.type, unique=True)
    return BinaryExpression(column, right, OVERLAP, type_=_BOOLEAN)


def owned_by(table: FromClause, scope: Scope) -> tuple[ColumnElement[bool], ...]:
    """``table``'s rows belong to the scope's resource row: the type and id tests, for a
    WHERE (which ANDs them with its other tests, as an ``and_`` of them would render)."""
    return _owner_tests(table, scope.type_column(), scope.id_column())


@lru_cache(maxsize=4096)
def _owner_tests(
    table: FromClause, type_: ColumnElement[str] | str, id_: ColumnElement[str]
) -> tuple[ColumnElement[bool], ...]:
    """The owner tests of one alias for one type and id column, built once: the aliases of
    a statement are the same objects in every statement (``Aliases``), and an expression is
    never changed once built, so every statement can hold the same ones (the cache keeps
    its keys alive, so an alias's identity is never taken by another)."""
    return (
        compare(table.c.resource_type, eq, type_),
        compare(table.c.resource_id, eq, id_),
    )


@lru_cache(maxsize=4096)
def param_is(table: FromClause, param: str) -> ColumnElement[bool]:
    """``table.param = :param``, built once per alias and parameter (as ``_owner_tests``)."""
    return compare(table.c.param, eq, param)


def rows_exist(table: FromClause, param: str, scope: Scope, *where: Any) -> Exists:
    """EXISTS a row of ``table`` for ``param`` of the scope's resource, matching ``where``."""
    return exists().where(*owned_by(table, scope), param_is(table, param), *where)


def successor(prefix: str) -> str | None:
    """The smallest string after every string that starts with ``prefix`` (code point order),
    or None when there is none (a prefix of only U+10FFFF)."""
    for position in range(len(prefix) - 1, -1, -1):
        code = ord(prefix[position]) + 1
        if code == 0xD800:
            code = 0xE000  # surrogates are not characters PostgreSQL stores
        if code <= 0x10FFFF:
            return prefix[:position] + chr(code)
    return None


def starts_with(column: ColumnElement[Any], prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, as a btree range on a "C"-collated column.

    A range, not ``LIKE prefix || '%'``: it uses the index under generic plans too (a LIKE
    pattern only becomes an index range when the planner sees its value).
    """
    if not prefix:
        return true()
    upper = successor(prefix)
    if upper is None:
        return compare(column, ge, prefix)
    return and_(compare(column, ge, prefix), compare(column, lt, upper))


def escape_like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern with ``\\`` as the escape character."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
