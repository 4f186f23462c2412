"""Chains (``subject:Patient.name=x``), reverse chains (``_has``) and compartments.

All become EXISTS over ``search_reference``: a chain tests the inner expression on the
reference's target (so chains nest to any depth);
``_has`` finds reference rows of the source type pointing at the row (the reverse index) and
tests the inner expression on the source; a compartment is any of its parameters pointing at
the owner. A search whose one test is a chain through several target types is the
exception (``chain_through_types``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    and_,
    any_,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql.operators import eq

from fhir_server.db.schema import resource, search_reference
from fhir_server.store.index_writer import NOT_STORED
from fhir_server.store.search_sql.common import Compiler, Scope, compare, owned_by
from fhir_server.store.search_sql.leaves import LEAVES
from resources.search.param_def import SearchParamDef
from resources.search.query import (
    AllOf,
    AnyOf,
    Chain,
    CompositeMatch,
    Expr,
    Has,
    InCompartment,
    Missing,
    TextMatch,
)


def chain(node: Chain, scope: Scope, compile_: Compiler) -> ColumnElement[bool]:
    """EXISTS a reference through ``node.param`` to a live ``target_type`` matching the inner."""
    return chain_across(node.param, (node.target_type,), node.inner, scope, compile_)


def chain_across(
    param: SearchParamDef,
    target_types: tuple[str, ...],
    inner: Expr,
    scope: Scope,
    compile_: Compiler,
) -> ColumnElement[bool]:
    """EXISTS a reference through ``param`` to a live target of one of ``target_types``
    matching ``inner``: the chains of one test through several types
    (``Observation?encounter.date=``: an Encounter or an EpisodeOfCare), where ``inner`` is
    the same test on each (``compile._group_chain``), as one EXISTS.

    As an OR of an EXISTS per type, PostgreSQL could not make the chain a join: beside
    another test (``encounter.class=AMB&encounter.date=ge2015``) it tested each row walked
    against a hashed set of every Observation whose Encounter matched the date, built for
    each search (31,720 at 100k resources, ten times as many at 1M). One EXISTS is planned
    as a chain through one type is: a join, or a probe for each row walked (bench/README.md,
    "A chain through several target types", has the figures, and where PostgreSQL's
    estimate of two chains side by side still leads it to collect every match).
    """
    ref = scope.alias(search_reference)
    return exists().where(
        *owned_by(ref, scope), *_reaches(param, target_types, inner, ref, scope, compile_)
    )


def _reaches(
    param: SearchParamDef,
    target_types: tuple[str, ...],
    inner: Expr,
    ref: FromClause,
    scope: Scope,
    compile_: Compiler,
) -> list[ColumnElement[bool]]:
    """The reference row ``ref`` goes through ``param`` to a live target of one of
    ``target_types`` matching ``inner``.

    Only live resources' current versions have index rows (see ``has``), so where the inner
    expression holds only for a target with index rows of its own (``_own_rows``) and reads
    nothing of its ``resource`` row, the target's ``resource`` row is not joined: the inner
    tests the reference's ``target_id``. With that join PostgreSQL guessed the live targets
    from the distinct ids of every type: at 100k resources it took the 7,790 ambulatory
    Encounters for 728, and collected all 48,430 of their Observations for a page of
    ``Observation?encounter.class=AMB&encounter.date=ge2018`` (1.1 s) instead of walking
    the Observations in page order (43 ms).
    """
    target = scope.alias(resource)
    own_rows = _own_rows(inner)
    row_id = ref.c.target_id if own_rows else None
    if len(target_types) == 1:
        (target_type,) = target_types
        target_scope = scope.narrowed(target, target_type, row_id)
        of_type = compare(ref.c.target_type, eq, target_type)
        target_is_of_type = compare(target.c.resource_type, eq, target_type)
    else:
        target_scope = scope.narrowed_to(target, target_types, ref.c.target_type, row_id)
        of_type = ref.c.target_type.in_(target_types)
        target_is_of_type = compare(target.c.resource_type, eq, ref.c.target_type)
    clauses = [compare(ref.c.param, eq, param.code), of_type, compile_(inner, target_scope)]
    if not own_rows or target_scope.row_read():
        clauses += [target_is_of_type, compare(target.c.id, eq, ref.c.target_id), ~target.c.deleted]
    return clauses


def _own_rows(node: Expr) -> bool:
    """Whether ``node`` holds only for a resource with index rows of its own: it is, or
    requires, an EXISTS of the resource's own rows (a value test, ``:missing=false``, a
    chain from it). A negation, ``:missing=true``, ``_id``, ``_lastUpdated`` or ``_has``
    (rows of other resources pointing at it) may hold for a resource without any."""
    match node:
        case AllOf(items):
            return any(_own_rows(item) for item in items)
        case AnyOf(items):
            return bool(items) and all(_own_rows(item) for item in items)
        case Missing(param, missing):
            return not missing and param.code not in NOT_STORED
        case Chain() | InCompartment() | CompositeMatch() | TextMatch():
            return True
        case _:
            return type(node) in LEAVES


def chain_through_types(
    nodes: Sequence[Chain], scope: Scope, compile_: Compiler
) -> ColumnElement[bool] | None:
    """Chains of one row through several target types (``Observation?encounter.patient.x``
    goes through an Encounter or an EpisodeOfCare): the row's id is among one array of every
    chain's sources; None where the row may have several types.

    As an OR of EXISTS, PostgreSQL can only test each row against every chain's matches, and
    it took them for half the rows: a search with no other test walked the rows in id order
    until a page matched, which read more rows the larger the table. A chain's matches
    depend on nothing outside it, so the array is made once, from them alone, and the row
    index is probed with it (``compile.compile_where`` says when).
    """
    if len(scope.types) != 1:
        return None
    sources = []
    for node in nodes:
        ref = scope.alias(search_reference)
        owner = compare(ref.c.resource_type, eq, scope.types[0])
        reaches = _reaches(node.param, (node.target_type,), node.inner, ref, scope, compile_)
        sources.append(select(ref.c.resource_id).where(owner, *reaches))
    found = func.array(union_all(*sources).scalar_subquery())
    return scope.id_column() == any_(found)


def has(node: Has, scope: Scope, compile_: Compiler) -> ColumnElement[bool]:
    """EXISTS a live ``source_type`` resource referencing the row and matching the inner.

    A reference row is the source's own index row, and only live resources' current versions
    have index rows (a delete removes them, under the row lock a reindex also takes): the
    source's ``resource`` row is joined only when the inner test reads it (``_lastUpdated``).
    Without that join PostgreSQL also sees how many rows match, and for a common code walks
    the resources in page order and stops at the page, rather than collecting every match.

    Where the store found many sources (``Has.many_sources``, ``has_sources``) the test is
    a subquery of one row instead, which PostgreSQL cannot turn into a join: the rows are
    walked in page order, each probed for its first source, and the walk stops at the page.
    As a join PostgreSQL guessed the matches from the distinct ids of every type, took
    a code held by half the patients for one held by a few, and probed every patient's every
    Observation (0.5 s at 287k resources, against 2-4 ms for the walk). Each source's own
    test is kept out of a join as well, so that a row walked costs an index probe per
    reference to it.
    """
    ref = scope.alias(search_reference)
    source = scope.alias(resource)
    inner_scope = scope.narrowed(source, node.source_type, ref.c.resource_id)
    inner = compile_(node.inner, inner_scope)
    clauses = [
        compare(ref.c.target_type, eq, scope.type_column()),
        compare(ref.c.target_id, eq, scope.id_column()),
        compare(ref.c.param, eq, node.reference.code),
        compare(ref.c.resource_type, eq, node.source_type),
        # Walked, each reference row's source is tested on its own (a test inside IS TRUE
        # is not made a join): an index probe per source, where as a join PostgreSQL read
        # every row of the code for each row walked (at 1M resources 4,166 rows a patient).
        inner.is_(true()) if node.many_sources else inner,
    ]
    if inner_scope.row_read():
        clauses += [
            compare(source.c.resource_type, eq, node.source_type),
            compare(source.c.id, eq, ref.c.resource_id),
            ~source.c.deleted,
        ]
    if node.many_sources:
        one = literal_column("1", Integer)
        first = select(one).select_from(ref).where(*clauses).limit(1)
        return first.scalar_subquery().is_not(None)
    return exists().where(*clauses)


def in_compartment(node: InCompartment, scope: Scope) -> ColumnElement[bool]:
    """EXISTS a reference through one of the compartment's parameters to its owner.

    The owner itself is not in its own compartment (``Patient/1/Patient`` finds the patients
    that link to it, as the CompartmentDefinition says, not patient 1).
    """
    codes = sorted({param.code for param in node.params if param.type == "reference"})
    if not codes:
        return false()
    ref = scope.alias(search_reference)
    linked: ColumnElement[bool] = ref.c.param.in_(codes)
    if len(scope.types) != 1 and node.members:
        linked = or_(
            *(
                and_(compare(ref.c.resource_type, eq, type_), ref.c.param.in_(type_codes))
                for type_, type_codes in node.members
                if type_codes
            )
        )
    return exists().where(
        *owned_by(ref, scope),
        linked,
        and_(
            compare(ref.c.target_type, eq, node.compartment_type),
            compare(ref.c.target_id, eq, node.compartment_id),
        ),
    )
