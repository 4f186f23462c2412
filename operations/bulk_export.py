"""``$export`` kick-off at system, ``Patient`` and ``Group/[id]`` level (Bulk Data Access STU2).

https://hl7.org/fhir/uv/bulkdata/STU2/export.html

The request is checked here (``Prefer: respond-async``, ``_outputFormat``, ``_type``,
``_typeFilter``, ``_since``, ``patient``; ``includeAssociatedData`` is refused) and becomes a
``bulk-export`` job on the server's job queue (``services["jobs"]``); the answer is 202 with
the job's status URL in ``Content-Location``. The job itself, the status URL and the files are
the server's (``fhir_server.bulk``). A Group export covers the Patients among its members.

With auth on, the types are held to the caller's scopes (``smart_auth.bulk_access``: a named
type out of scope is a 403, unnamed ones are left out) and the caller's grant is recorded in
the job, which reads through the same access policy and answers only that grant.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any
from urllib.parse import parse_qsl, urlencode

from operations.base import OperationContext, OperationResult
from operations.everything import since_instant
from operations.parameters import Parameters
from resources import error_codes, fhir_json
from resources.errors import Invalid, NotFound, ServiceUnavailable
from resources.identity import instant, new_id, now
from resources.jobs import JobInfo
from resources.ports import JobQueue
from resources.resource_types import SERVED_TYPES
from resources.search.parse import parse_search
from resources.search.parse_controls import parse_elements
from resources.search.registry import SearchRegistry, default_registry
from smart_auth.bulk_access import export_types, grant_params
from smart_auth.context import AccessContext
from smart_auth.policy import policy_for

DEFINITION: dict[str, Any] = {
    "resourceType": "OperationDefinition",
    "id": "export",
    "url": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
    "name": "BulkDataExport",
    "status": "active",
    "kind": "operation",
    "code": "export",
    "resource": ["Patient", "Group"],
    "system": True,
    "type": True,
    "instance": True,
    "affectsState": False,
    "parameter": [
        {"name": "_outputFormat", "use": "in", "min": 0, "max": "1", "type": "string"},
        {"name": "_since", "use": "in", "min": 0, "max": "1", "type": "instant"},
        {"name": "_type", "use": "in", "min": 0, "max": "*", "type": "string"},
        {"name": "_typeFilter", "use": "in", "min": 0, "max": "*", "type": "string"},
        {"name": "patient", "use": "in", "min": 0, "max": "*", "type": "Reference"},
        {"name": "includeAssociatedData", "use": "in", "min": 0, "max": "*", "type": "code"},
        {"name": "_elements", "use": "in", "min": 0, "max": "*", "type": "string"},
    ],
}

KIND = "bulk-export"
NDJSON_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
STATUS_PATH = "_bulk-status"


def _bad(message: str, code: str) -> Invalid:
    return Invalid(message, code)


def require_async(ctx: OperationContext) -> None:
    """Refuse a request without ``Prefer: respond-async`` (400)."""
    prefer = {p.strip().lower() for p in ctx.headers.get("prefer", "").split(",")}
    if "respond-async" not in prefer:
        raise _bad(
            "$export requires the header Prefer: respond-async",
            error_codes.BULK_RESPOND_ASYNC_REQUIRED,
        )


def _check_format(params: Parameters) -> None:
    value = params.value("_outputFormat")
    if value is not None and str(value) not in NDJSON_FORMATS:
        message = f"_outputFormat {value!r} is not supported: use application/fhir+ndjson"
        raise _bad(message, error_codes.BULK_BAD_OUTPUT_FORMAT)


def _listed(params: Parameters, name: str) -> list[str]:
    return [t.strip() for v in params.values(name) for t in str(v).split(",") if t.strip()]


def _types(
    params: Parameters,
    level: str,
    registry: SearchRegistry,
    access: AccessContext | None = None,
) -> list[str]:
    """The requested types that the level can export (every one when none is named), held
    to the caller's scopes: a named type out of scope is a 403, unnamed ones are left out."""
    if level == "system":
        allowed = set(SERVED_TYPES)
    else:
        members = registry.compartments.get("Patient", {})
        allowed = {t for t, codes in members.items() if codes} | {"Patient"}
    named = _listed(params, "_type")
    for name in named:
        if name not in SERVED_TYPES:
            raise _bad(f"_type names an unknown resource type {name!r}", error_codes.BULK_BAD_TYPE)
    types = sorted(allowed.intersection(named) if named else allowed)
    if access is None or (named and not types):
        return types
    policy = policy_for(access, registry)
    return export_types(policy, types if named else (), types)


def _type_filters(params: Parameters, types: list[str], registry: SearchRegistry) -> list[str]:
    """Each ``Type?query`` checked by parsing it as that type's search (strict)."""
    filters = [str(v) for v in params.values("_typeFilter")]
    for item in filters:
        resource_type, mark, query = item.partition("?")
        if not mark or resource_type not in types:
            message = f"_typeFilter {item!r} must be Type?query for an exported type"
            raise _bad(message, error_codes.BULK_BAD_TYPE_FILTER)
        parse_search(
            (resource_type,), parse_qsl(query, keep_blank_values=True), registry, strict=True
        )
    return filters


def _patient_ids(params: Parameters) -> list[str] | None:
    references = params.values("patient")
    if not references:
        return None
    ids = []
    for value in references:
        reference = value.get("reference", "") if isinstance(value, dict) else ""
        kind, _, id_ = str(reference).partition("/")
        if kind != "Patient" or not id_:
            raise _bad(
                f"patient must reference a Patient, not {reference!r}", error_codes.BULK_BAD_TYPE
            )
        ids.append(id_)
    return ids


async def _group_patients(ctx: OperationContext, id_: str) -> list[str]:
    """The Patients among the Group's members, as the caller may see the Group."""
    group = await ctx.store.read("Group", id_)
    if group is None or group.deleted or group.body is None:
        raise NotFound(f"Group/{id_} is not known", error_codes.RESOURCE_NOT_FOUND)
    members = fhir_json.loads(group.body).get("member", [])
    references = [str(m.get("entity", {}).get("reference", "")) for m in members]
    return [r.partition("/")[2] for r in references if r.startswith("Patient/")]


def _request_url(ctx: OperationContext, params: Parameters) -> str:
    path = {"system": "", "type": "/Patient", "instance": f"/Group/{ctx.id}"}[_level(ctx)]
    primitive = [
        (e["name"], str(v))
        for e in params.entries
        for k, v in e.items()
        if k.startswith("value") and k != "valueReference"
    ]
    query = urlencode(primitive)
    return f"{ctx.base_url}{path}/$export" + (f"?{query}" if query else "")


def _level(ctx: OperationContext) -> str:
    if ctx.id is not None:
        return "instance"
    return "type" if ctx.resource_type else "system"


async def _scope(ctx: OperationContext, params: Parameters) -> tuple[str, list[str] | None]:
    level = _level(ctx)
    if level == "type" and ctx.resource_type != "Patient":
        raise _bad("$export at type level is Patient/$export", error_codes.OPERATION_LEVEL)
    if level == "instance" and ctx.resource_type != "Group":
        raise _bad("$export at instance level is Group/[id]/$export", error_codes.OPERATION_LEVEL)
    patients = _patient_ids(params)
    if level == "instance":
        members = await _group_patients(ctx, ctx.id or "")
        patients = members if patients is None else [p for p in members if p in patients]
    kinds = {"system": "system", "type": "patient", "instance": "group"}
    return kinds[level], patients


def _queue(ctx: OperationContext) -> tuple[JobQueue, str]:
    queue, folder = ctx.services.get("jobs"), ctx.services.get("bulk_dir")
    if queue is None or folder is None:
        raise ServiceUnavailable(
            "Bulk export is not available on this server", error_codes.BULK_UNAVAILABLE
        )
    return queue, str(folder)


async def handle(ctx: OperationContext, params: Parameters) -> OperationResult:
    """Check the request and queue the export; 202 with the status URL."""
    require_async(ctx)
    _check_format(params)
    if params.has("includeAssociatedData"):
        raise _bad("includeAssociatedData is not supported", error_codes.BULK_UNSUPPORTED_PARAMETER)
    registry = ctx.services.get("registry")
    registry = registry if isinstance(registry, SearchRegistry) else default_registry()
    level, patients = await _scope(ctx, params)
    if level == "system" and patients is not None:
        raise _bad(
            "patient applies to Patient and Group exports", error_codes.BULK_UNSUPPORTED_PARAMETER
        )
    types = _types(params, level, registry, ctx.access)
    queue, folder = _queue(ctx)
    job = await queue.submit(
        KIND, _job_params(ctx, params, level, types, registry, patients, folder)
    )
    return accepted(ctx, job)


def _job_params(
    ctx: OperationContext,
    params: Parameters,
    level: str,
    types: list[str],
    registry: SearchRegistry,
    patients: list[str] | None,
    folder: str,
) -> dict[str, Any]:
    since = params.value("_since")
    if since is not None:
        since = instant(since_instant(str(since)))
    return {
        "level": level,
        "types": types,
        "since": since,
        "deleted": bool(since),
        "type_filters": _type_filters(params, types, registry),
        "elements": list(parse_elements(",".join(_listed(params, "_elements"))))
        if params.has("_elements")
        else [],
        "patients": patients,
        "transaction_time": instant(now()),
        "request": _request_url(ctx, params),
        "requires_access_token": ctx.access is not None,
        "access": grant_params(ctx.access),
        "dir": str(PurePath(folder) / new_id()),
    }


def accepted(ctx: OperationContext, job: JobInfo) -> OperationResult:
    """202 Accepted naming the job's status URL."""
    return OperationResult(
        None, status=202, headers={"Content-Location": f"{ctx.base_url}/{STATUS_PATH}/{job.id}"}
    )
