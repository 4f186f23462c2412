"""Conditional update, patch and delete: ``PUT|PATCH|DELETE [base]/[type]?[search]``.

https://hl7.org/fhir/R4/http.html#cond-update

The search is parsed strictly (a parameter the server would ignore could match too much) and
answered by the search engine inside the write's transaction; identical conditions are
serialised with conditional create's advisory lock. Behaviours chosen where R4 leaves a
choice:
- update, no match, body with an id: created with that id, unless a live resource that the
  condition did not match has it (400);
- delete, no match: 200 with an informational OperationOutcome, as HAPI FHIR answers;
- delete, several matches: 412, or with ``NUTRIVISION_CONDITIONAL_DELETE_MULTIPLE`` all of
  them in one transaction when they are at most ``MULTIPLE_DELETE_CAP`` (else 412).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fhir_server.http.body import read_resource
from fhir_server.http.negotiation import preferences, require_content_type, response_media_type
from fhir_server.http.paging import check_no_nul
from fhir_server.http.responses import fhir_response
from fhir_server.http.rest_routes import (
    body_limit,
    if_match_of,
    patch_mutation,
    read_patch,
    registry_of,
    resource_type_of,
    store_of,
    validate,
    write_response,
)
from resources import error_codes
from resources.errors import Invalid, information
from resources.identity import check_id
from resources.ports import Mutation
from resources.search.parse import parse_search
from resources.search.query import SearchQuery
from resources.stored import StoredVersion

MULTIPLE_DELETE_CAP = 100
"""The most resources one conditional delete removes in multiple-delete mode."""
_NOT_CRITERIA = frozenset({"_format", "_pretty"})


def condition(request: Request, resource_type: str) -> SearchQuery:
    """The search in the URL's query string, parsed strictly; 400 when there is none."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in _NOT_CRITERIA]
    criteria = check_no_nul(pairs)
    if not criteria:
        raise Invalid(
            f"A conditional {request.method} needs search criteria in the URL",
            error_codes.CONDITIONAL_UNSUPPORTED,
        )
    return parse_search((resource_type,), criteria, registry_of(request), strict=True)


def no_match_outcome(resource_type: str) -> dict[str, Any]:
    """What a conditional delete that matched nothing answers (200, as HAPI FHIR does)."""
    message = f"No {resource_type} matched the condition; nothing was deleted"
    return information(message, error_codes.CONDITIONAL_DELETE_NO_MATCH)


def replacement(resource: dict[str, Any]) -> Mutation:
    """The mutation of a conditional update: the body, whose id (if any) must be the match's."""

    def mutate(current: StoredVersion | None) -> dict[str, Any]:
        body_id = resource.get("id")
        if current is not None and body_id is not None and body_id != current.id:
            raise Invalid(
                f"Body id {body_id!r} is not the id of the matching resource {current.id!r}",
                error_codes.CONDITIONAL_ID_MISMATCH,
                ("id",),
            )
        return resource

    return mutate


async def conditional_update(request: Request) -> Response:
    """``PUT [base]/[type]?[search]``: 0 matches create, 1 is updated, more are 412."""
    resource_type = resource_type_of(request)
    prefs = preferences(request)
    response_media_type(request)
    require_content_type(request)
    criteria = condition(request, resource_type)
    resource = await read_resource(request, body_limit(request))
    validate(resource_type, resource)
    body_id = resource.get("id")
    new_id = check_id(body_id) if isinstance(body_id, str) else None
    result = await store_of(request).update_matching(
        criteria, replacement(resource), if_match_of(request), "PUT", new_id
    )
    return write_response(request, result, prefs)


async def conditional_patch(request: Request) -> Response:
    """``PATCH [base]/[type]?[search]``: 0 matches are 404, 1 is patched, more are 412."""
    resource_type = resource_type_of(request)
    prefs = preferences(request)
    response_media_type(request)
    criteria = condition(request, resource_type)
    apply = await read_patch(request)
    result = await store_of(request).update_matching(
        criteria, patch_mutation(resource_type, apply), if_match_of(request), "PATCH", None
    )
    return write_response(request, result, prefs)


async def conditional_delete(request: Request) -> Response:
    """``DELETE [base]/[type]?[search]``: 200 whether nothing or something matched."""
    resource_type = resource_type_of(request)
    response_media_type(request)
    criteria = condition(request, resource_type)
    multiple = bool(request.app.state.settings.conditional_delete_multiple)
    deleted = await store_of(request).delete_matching(
        criteria, MULTIPLE_DELETE_CAP if multiple else 1
    )
    if not deleted:
        return fhir_response(request, no_match_outcome(resource_type), 200, {})
    names = ", ".join(f"{v.reference} (version {v.version})" for v in deleted)
    outcome = information(f"Deleted {len(deleted)} {resource_type}: {names}")
    return fhir_response(request, outcome, 200, {})
