"""``$reindex``: rebuild the search index rows of existing resources, as a background job.

https://hapifhir.io/hapi-fhir/docs/server_jpa/search.html (HAPI's ``$reindex``; FHIR R4 itself
defines no such operation)

``POST [base]/$reindex`` covers every type, ``POST [base]/[type]/$reindex`` one; ``url`` (any
number) names custom SearchParameters, and then only their base types are reindexed (within
the type of a type-level call). The answer is 202 with the job's status URL in
``Content-Location`` (``[base]/_reindex-status/[job]``); when the job ends, the custom
parameters it covered are ready for search. The job itself is the server's
(``fhir_server.store.reindex_job``).
"""

from __future__ import annotations

from typing import Any

from operations.base import OperationContext, OperationResult
from operations.parameters import Parameters
from resources import error_codes
from resources.errors import Invalid, ServiceUnavailable
from resources.ports import JobQueue
from resources.resource_types import SERVED_TYPES
from resources.search.param_def import ABSTRACT_BASES, SearchParamDef
from resources.search.registry import SearchRegistry, default_registry

DEFINITION: dict[str, Any] = {
    "resourceType": "OperationDefinition",
    "id": "reindex",
    "url": "http://nutrivision.example.org/fhir/OperationDefinition/reindex",
    "name": "Reindex",
    "status": "active",
    "kind": "operation",
    "code": "reindex",
    "resource": ["Resource"],
    "system": True,
    "type": True,
    "instance": False,
    "affectsState": True,
    "parameter": [
        {"name": "url", "use": "in", "min": 0, "max": "*", "type": "uri"},
    ],
}

KIND = "search-reindex"
STATUS_PATH = "_reindex-status"


def _bad(message: str) -> Invalid:
    return Invalid(message, error_codes.REINDEX_BAD_PARAMETER, ("url",))


def _named(params: Parameters, registry: SearchRegistry) -> list[SearchParamDef]:
    """The parameters the ``url`` values name; an unknown URL is a 400."""
    named = []
    for url in (str(value) for value in params.values("url")):
        param = registry.by_url(url)
        if param is None:
            raise _bad(f"url {url!r} names no SearchParameter known to this server")
        named.append(param)
    return named


def _bases(param: SearchParamDef) -> set[str]:
    if any(base in ABSTRACT_BASES for base in param.base):
        return set(SERVED_TYPES)
    return set(param.base)


def plan(resource_type: str | None, named: list[SearchParamDef]) -> tuple[list[str], list[str]]:
    """The types to reindex, and the URLs of the named parameters the job makes ready."""
    scope = {resource_type} if resource_type else set(SERVED_TYPES)
    if not named:
        return sorted(scope), []
    types: set[str] = set()
    for param in named:
        if resource_type is not None and resource_type not in _bases(param):
            raise _bad(f"{param.url} does not apply to {resource_type}")
        types |= _bases(param) & scope
    return sorted(types), [param.url for param in named]


async def handle(ctx: OperationContext, params: Parameters) -> OperationResult:
    """Queue the reindex job; 202 with its status URL."""
    queue: JobQueue | None = ctx.services.get("jobs")
    if queue is None:
        raise ServiceUnavailable("No job runner in this process", error_codes.BULK_UNAVAILABLE)
    registry: SearchRegistry = ctx.services.get("registry") or default_registry()
    types, urls = plan(ctx.resource_type, _named(params, registry))
    job = await queue.submit(KIND, {"types": types, "urls": urls})
    return OperationResult(
        None, status=202, headers={"Content-Location": f"{ctx.base_url}/{STATUS_PATH}/{job.id}"}
    )
