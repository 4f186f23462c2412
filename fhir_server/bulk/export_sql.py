"""The SQL of an export part: one resource type's current resources, in keyset batches.

Each batch is ``id > after ORDER BY id LIMIT n`` on the ``(resource_type, id) WHERE NOT
deleted`` index, so a batch costs the same at any depth and a resumed part starts right after
the last id it wrote. Patient-level exports keep the resources linked to the patients through
the type's Patient-compartment parameters (the reference index), and ``_typeFilter`` queries
are compiled by the search engine, so they mean exactly what the same search means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import ColumnElement, Select, and_, exists, null, or_, select, true, tuple_

from fhir_server.db.schema import resource, resource_version, search_reference
from fhir_server.store.rows import R, V
from fhir_server.store.search_engine import compile_search
from resources.search.extract import extract
from resources.search.fhirpath import FhirPathEvaluationError
from resources.search.parse import parse_search
from resources.search.query import AllOf, SearchQuery
from resources.search.registry import SearchRegistry
from resources.search.values import ReferenceValue
from smart_auth.bulk_access import export_restriction, grant_from_params
from smart_auth.policy import AccessPolicy, policy_for
from smart_auth.search_restriction import narrow


@dataclass(frozen=True)
class ExportScope:
    """What an export covers, read from the job's parameters."""

    level: str
    since: datetime | None
    until: datetime
    type_filters: tuple[str, ...]
    patients: tuple[str, ...] | None
    policy: AccessPolicy | None = None
    """The kick-off token's policy (None: started with auth off, everything is exported)."""

    @classmethod
    def from_params(cls, params: dict[str, Any], registry: SearchRegistry) -> ExportScope:
        """The scope of an export job's ``params`` (see ``operations.bulk_export``), held to
        the policy of the grant recorded at kick-off, exactly as the request's store is."""
        since = params.get("since")
        patients = params.get("patients")
        access = grant_from_params(params.get("access"))
        return cls(
            level=str(params["level"]),
            since=datetime.fromisoformat(since) if since else None,
            until=datetime.fromisoformat(params["transaction_time"]),
            type_filters=tuple(params.get("type_filters") or ()),
            patients=tuple(patients) if patients is not None else None,
            policy=None if access is None else policy_for(access, registry),
        )

    def whole(self, resource_type: str) -> bool:
        """Whether the token reaches every resource of the type (deleted ids are only listed
        for such types: a deleted resource has no index rows left to judge it by)."""
        return self.policy is None or export_restriction(self.policy, resource_type) is None


def _allowed(scope: ExportScope, resource_type: str) -> ColumnElement[bool]:
    """What the kick-off token may read and search of the type, compiled as its searches
    are (the same restriction ``PolicyStore`` puts into a search), so the SQL only ever
    reaches resources the token could have searched for."""
    if scope.policy is None:
        return true()
    restriction = export_restriction(scope.policy, resource_type)
    if restriction is None:
        return true()
    query = SearchQuery((resource_type,), AllOf((restriction,)))
    return compile_search(query).where


def _filters(
    scope: ExportScope, resource_type: str, registry: SearchRegistry
) -> ColumnElement[bool]:
    """Any of the type's ``_typeFilter`` searches (all resources when it has none)."""
    queries = [
        f.partition("?")[2] for f in scope.type_filters if f.partition("?")[0] == resource_type
    ]
    if not queries:
        return true()
    parsed = [parse_search((resource_type,), parse_qsl(q), registry, strict=True) for q in queries]
    if scope.policy is not None:
        # chains and _has in a filter must not test resources hidden from the token
        policy = scope.policy
        parsed = [replace(p, where=AllOf((narrow(policy, p.where),))) for p in parsed]
    return or_(*(compile_search(p).where for p in parsed))


def _in_patients(
    scope: ExportScope, resource_type: str, registry: SearchRegistry
) -> ColumnElement[bool]:
    """Linked to the export's patients (any patient when the export names none)."""
    if scope.level == "system":
        return true()
    if resource_type == "Patient":
        return R.id.in_(scope.patients) if scope.patients is not None else true()
    codes = registry.compartment_params("Patient", resource_type)
    ref = search_reference.c
    linked = [
        ref.resource_type == resource_type,
        ref.resource_id == R.id,
        ref.param.in_(codes),
        ref.target_type == "Patient",
    ]
    if scope.patients is not None:
        linked.append(ref.target_id.in_(scope.patients))
    return exists().where(*linked)


def part_condition(
    scope: ExportScope, resource_type: str, registry: SearchRegistry
) -> ColumnElement[bool]:
    """The condition of one type's part (checked when the job starts: bad filters fail it)."""
    clauses = [
        R.resource_type == resource_type,
        ~R.deleted,
        R.last_updated <= scope.until,
        _filters(scope, resource_type, registry),
        _in_patients(scope, resource_type, registry),
        _allowed(scope, resource_type),
    ]
    if scope.since is not None:
        clauses.append(R.last_updated >= scope.since)
    return and_(*clauses)


def batch_statement(
    resource_type: str, condition: ColumnElement[bool], after: str | None, limit: int
) -> Select[tuple[str, int, bytes]]:
    """The next ``limit`` resources of a part after the id ``after``.

    The ids are cut to ``limit`` first on the listing index, and only then joined to their
    versions (as search pages are): joined first, the planner may hash and sort every
    remaining version of the type for each batch.
    """
    keys = select(R.id, R.version_id).where(condition)
    if after is not None:
        keys = keys.where(R.id > after)
    page = keys.order_by(R.id).limit(limit).subquery("page")
    current = and_(
        V.resource_type == resource_type,
        V.id == page.c.id,
        V.version_id == page.c.version_id,
    )
    return (
        select(page.c.id, page.c.version_id, V.body)
        .select_from(page.join(resource_version, current))
        .order_by(page.c.id)
    )


def deleted_statement(
    scope: ExportScope, types: Sequence[str], after: tuple[str, str] | None, limit: int
) -> Select[tuple[str, str, int, bytes | None]]:
    """Resources of ``types`` deleted between ``_since`` and the transaction time; at patient
    level each with its last live version (its body tells whose it was: a deleted resource
    has no index rows left), which a system-level export does not read."""
    last_live = and_(
        V.resource_type == R.resource_type, V.id == R.id, V.version_id == R.version_id - 1
    )
    columns: tuple[ColumnElement[Any], ...]
    if scope.level == "system":
        columns = (R.resource_type, R.id, null().label("version_id"), null().label("body"))
        source: Any = resource
    else:
        columns = (R.resource_type, R.id, V.version_id, V.body)
        source = resource.outerjoin(resource_version, last_live)
    statement = (
        select(*columns)
        .select_from(source)
        .where(
            R.deleted,
            R.resource_type.in_(types),
            R.last_updated >= scope.since,
            R.last_updated <= scope.until,
        )
    )
    if after is not None:
        statement = statement.where(tuple_(R.resource_type, R.id) > after)
    return statement.order_by(R.resource_type, R.id).limit(limit)


def was_in_patients(
    scope: ExportScope, resource_type: str, body: dict[str, Any] | None, registry: SearchRegistry
) -> bool:
    """Whether a deleted resource, by its last live ``body``, belonged to the export's patients
    (through the type's Patient-compartment parameters, as ``_in_patients`` judges live ones)."""
    if scope.level == "system":
        return True
    if body is None:
        return False
    if resource_type == "Patient":
        return scope.patients is None or body.get("id") in scope.patients
    for code in registry.compartment_params("Patient", resource_type):
        param = registry.get(resource_type, code)
        if param is None:
            continue
        try:
            values = extract(body, param, registry)
        except FhirPathEvaluationError:
            continue
        for value in values:
            if not isinstance(value, ReferenceValue) or value.target_type != "Patient":
                continue
            if scope.patients is None or value.target_id in scope.patients:
                return True
    return False
