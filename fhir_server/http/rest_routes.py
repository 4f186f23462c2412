"""Instance and type interactions: create, read, vread, update, patch, delete.

https://hl7.org/fhir/R4/http.html
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl

import jsonpatch
import jsonpointer
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.http import code_checks
from fhir_server.http.body import parse_json, read_bytes, read_resource
from fhir_server.http.negotiation import (
    JSON_PATCH,
    PATCH_TYPES,
    Preferences,
    preferences,
    require_content_type,
    response_media_type,
)
from fhir_server.http.paging import ascii_int, check_no_nul
from fhir_server.http.responses import fhir_response, version_headers
from fhir_server.store.policy_store import PolicyStore
from profiles_ig.search_params import builtin_registry
from profiles_ig.write_policy import current_policy
from resources import error_codes, fhir_json, fhirpath_patch
from resources.errors import Gone, Invalid, Issue, NotFound, Unprocessable, information
from resources.identity import check_id, etag, parse_etag
from resources.model import is_served_type, validation_issues
from resources.ports import Mutation, ResourceStore
from resources.search.parse import parse_search
from resources.search.query import SearchQuery
from resources.search.registry import SearchRegistry
from resources.stored import StoredVersion, WriteResult
from smart_auth.context import AccessContext
from smart_auth.policy import policy_for

_MAX_VERSION = 2**31 - 1
"""``version_id`` is a PostgreSQL ``integer``; no version is larger."""


def store_of(request: Request) -> ResourceStore:
    """The request's resource store: held to the token's scopes when the request carries an
    ``AccessContext`` (``request.state.access``), unrestricted when auth is off."""
    store: ResourceStore = request.app.state.store
    access: AccessContext | None = getattr(request.state, "access", None)
    if access is None:
        return store
    return PolicyStore(store, policy_for(access, registry_of(request)))


def registry_of(request: Request) -> SearchRegistry:
    """The search-parameter registry in force (the built-in one unless the app set another)."""
    registry: SearchRegistry | None = getattr(request.app.state, "registry", None)
    return registry or builtin_registry()


def body_limit(request: Request) -> int:
    """The configured maximum body size."""
    return int(request.app.state.settings.max_body_bytes)


def resource_type_of(request: Request) -> str:
    """The served resource type named in the path, else 404."""
    name: str = request.path_params["type"]
    if not is_served_type(name):
        raise NotFound(f"Unknown resource type {name!r}", error_codes.UNKNOWN_RESOURCE_TYPE)
    return name


def _id_of(request: Request) -> str:
    return check_id(request.path_params["id"])


def if_match_of(request: Request) -> int | None:
    """The version in an ``If-Match`` header, if any."""
    header = request.headers.get("if-match")
    return parse_etag(header) if header else None


def validate(
    resource_type: str, resource: dict[str, Any], *, content_checked: bool = False
) -> list[Issue]:
    """Check the body's type and content; ``Invalid`` lists every problem. Then the profile
    check the settings ask for this type (``Unprocessable`` in enforce mode). Returns warnings
    (codes accepted with a caveat, as ``code_checks`` is configured). ``content_checked``:
    ``validation_issues`` found nothing already (a bulk import's worker ran it)."""
    if resource["resourceType"] != resource_type:
        raise Invalid(
            f"Body resourceType {resource['resourceType']!r} is not the URL's {resource_type!r}",
            error_codes.RESOURCE_TYPE_MISMATCH,
            ("resourceType",),
        )
    issues = [] if content_checked else validation_issues(resource)
    if issues:
        raise Invalid(
            f"{resource_type} is not valid: {len(issues)} problem(s)",
            error_codes.RESOURCE_INVALID,
            issues=issues,
        )
    current_policy().check(resource_type, resource)
    return code_checks.check(resource_type, resource)


def _gone(stored: StoredVersion) -> Gone:
    error = Gone(f"{stored.reference} was deleted", error_codes.RESOURCE_GONE)
    error.headers["ETag"] = etag(stored.version)
    return error


def write_response(
    request: Request, result: WriteResult, prefs: Preferences, warnings: list[Issue] | None = None
) -> Response:
    """201 with Location for a creation, 200 with Content-Location otherwise; body per Prefer."""
    stored = result.stored
    location = "Location" if result.created else "Content-Location"
    headers = version_headers(request, stored, location) | code_checks.warning_header(
        warnings or []
    )
    status = 201 if result.created else 200
    if prefs.return_ == "minimal":
        return fhir_response(request, None, status, headers)
    if prefs.return_ == "OperationOutcome":
        verb = "Created" if result.created else "Stored"
        outcome = information(f"{verb} {stored.reference} version {stored.version}")
        # validation warnings, then the write hooks' findings (safety alerts)
        outcome["issue"] += [issue.to_json() for issue in [*(warnings or []), *result.issues]]
        return fhir_response(request, outcome, status, headers)
    return fhir_response(request, stored.body, status, headers)


def if_none_exist(request: Request, resource_type: str) -> SearchQuery | None:
    """The search of an ``If-None-Exist`` header (``a=b&c=d``, optionally ``Type?a=b``).

    It is parsed strictly: a parameter the server would ignore could match too much.
    """
    header = request.headers.get("if-none-exist")
    if header is None:
        return None
    query = header.split("?", 1)[1] if "?" in header else header
    criteria = check_no_nul(parse_qsl(query, keep_blank_values=True))
    if not criteria:
        raise Invalid("If-None-Exist has no search criteria", error_codes.CONDITIONAL_UNSUPPORTED)
    return parse_search((resource_type,), criteria, registry_of(request), strict=True)


async def create(request: Request) -> Response:
    """``POST [base]/[type]``, conditional with ``If-None-Exist``."""
    resource_type = resource_type_of(request)
    prefs = preferences(request)
    response_media_type(request)
    require_content_type(request)
    resource = await read_resource(request, body_limit(request))
    warnings = validate(resource_type, resource)
    criteria = if_none_exist(request, resource_type)
    result = await store_of(request).create(resource_type, resource, criteria)
    return write_response(request, result, prefs, warnings)


def _not_modified(request: Request, stored: StoredVersion) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or f'"{stored.version}"' in tags
    since_header = request.headers.get("if-modified-since")
    if since_header is None:
        return False
    try:
        since: datetime = parsedate_to_datetime(since_header)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:  # an HTTP date without a zone (or "-0000") is GMT (RFC 9110)
        since = since.replace(tzinfo=UTC)
    return stored.last_updated.replace(microsecond=0) <= since


async def read(request: Request) -> Response:
    """``GET [base]/[type]/[id]``; 410 when deleted, 304 on a matching precondition."""
    resource_type = resource_type_of(request)
    id_ = _id_of(request)
    response_media_type(request)
    stored = await store_of(request).read(resource_type, id_)
    if stored is None:
        raise NotFound(f"{resource_type}/{id_} is not known", error_codes.RESOURCE_NOT_FOUND)
    if stored.deleted:
        raise _gone(stored)
    headers = version_headers(request, stored)
    if _not_modified(request, stored):
        return Response(status_code=304, headers=headers)
    return fhir_response(request, stored.body, 200, headers)


async def vread(request: Request) -> Response:
    """``GET [base]/[type]/[id]/_history/[vid]``."""
    resource_type = resource_type_of(request)
    id_ = _id_of(request)
    response_media_type(request)
    raw = request.path_params["vid"]
    version = ascii_int(raw, _MAX_VERSION)
    stored = None
    if version is not None:
        stored = await store_of(request).vread(resource_type, id_, version)
    if stored is None:
        raise NotFound(
            f"{resource_type}/{id_} has no version {raw!r}", error_codes.VERSION_NOT_FOUND
        )
    if stored.deleted:
        raise _gone(stored)
    headers = version_headers(request, stored, "Content-Location")
    return fhir_response(request, stored.body, 200, headers)


async def update(request: Request) -> Response:
    """``PUT [base]/[type]/[id]``: a new version, or creation with the client's id."""
    resource_type = resource_type_of(request)
    id_ = _id_of(request)
    prefs = preferences(request)
    response_media_type(request)
    require_content_type(request)
    resource = await read_resource(request, body_limit(request))
    if "id" not in resource:
        raise Invalid("An update must carry the resource id", error_codes.ID_MISSING, ("id",))
    if resource["id"] != id_:
        raise Invalid(
            f"Body id {resource['id']!r} does not match the URL id {id_!r}",
            error_codes.ID_MISMATCH,
            ("id",),
        )
    warnings = validate(resource_type, resource)
    result = await store_of(request).update(
        resource_type, id_, lambda _current: resource, if_match_of(request), "PUT"
    )
    return write_response(request, result, prefs, warnings)


def _patch_target(resource_type: str, current: StoredVersion | None) -> dict[str, Any]:
    """The current JSON of the resource a patch applies to; 404 or 410 when there is none."""
    if current is None:
        raise NotFound(f"The {resource_type} to patch is not known", error_codes.RESOURCE_NOT_FOUND)
    if current.deleted or current.body is None:
        raise _gone(current)
    document: dict[str, Any] = fhir_json.loads(current.body)
    return document


def _checked_patch(resource_type: str, id_: str, patched: object) -> dict[str, Any]:
    if not isinstance(patched, dict) or patched.get("id") != id_:
        raise Invalid("A patch may not change the resource id", error_codes.PATCH_CHANGES_IDENTITY)
    if patched.get("resourceType") != resource_type:
        raise Invalid("A patch may not change resourceType", error_codes.PATCH_CHANGES_IDENTITY)
    validate(resource_type, patched)
    return patched


def _json_patch(operations: list[Any]) -> Callable[[dict[str, Any]], object]:
    def apply(document: dict[str, Any]) -> object:
        try:
            return jsonpatch.apply_patch(document, operations)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as error:
            raise Unprocessable(
                f"JSON Patch could not be applied: {error}", error_codes.BAD_PATCH
            ) from None

    return apply


def _fhirpath_patch(
    operations: list[fhirpath_patch.Operation],
) -> Callable[[dict[str, Any]], object]:
    def apply(document: dict[str, Any]) -> object:
        try:
            return fhirpath_patch.apply_patch(document, operations)
        except fhirpath_patch.PatchError as error:
            if error.invalid:
                raise Invalid(str(error), error_codes.BAD_FHIRPATH_PATCH) from None
            raise Unprocessable(
                f"FHIRPath Patch could not be applied: {error}", error_codes.FHIRPATH_PATCH_FAILED
            ) from None

    return apply


def patch_of(media: str, body: Any) -> Callable[[dict[str, Any]], object]:
    """The patch in a parsed body of ``media``: JSON Patch, else a FHIRPath Patch."""
    if media != JSON_PATCH:
        try:
            return _fhirpath_patch(fhirpath_patch.parse_operations(body))
        except fhirpath_patch.PatchError as error:
            raise Invalid(str(error), error_codes.BAD_FHIRPATH_PATCH) from None
    if not isinstance(body, list) or not all(isinstance(op, dict) for op in body):
        raise Invalid("A JSON Patch document is an array of operations", error_codes.BAD_PATCH)
    return _json_patch(body)


async def read_patch(request: Request) -> Callable[[dict[str, Any]], object]:
    """The patch in the body: a JSON Patch document, or a FHIRPath Patch ``Parameters``."""
    media = require_content_type(request, PATCH_TYPES)
    return patch_of(media, parse_json(await read_bytes(request, body_limit(request))))


def patch_mutation(resource_type: str, apply: Callable[[dict[str, Any]], object]) -> Mutation:
    """The store mutation applying a patch to the current version, then validating it."""

    def mutate(current: StoredVersion | None) -> dict[str, Any]:
        document = _patch_target(resource_type, current)
        return _checked_patch(resource_type, str(document.get("id")), apply(document))

    return mutate


async def patch(request: Request) -> Response:
    """``PATCH [base]/[type]/[id]`` with a JSON Patch document or a FHIRPath Patch."""
    resource_type = resource_type_of(request)
    id_ = _id_of(request)
    prefs = preferences(request)
    response_media_type(request)
    apply = await read_patch(request)
    result = await store_of(request).update(
        resource_type, id_, patch_mutation(resource_type, apply), if_match_of(request), "PATCH"
    )
    return write_response(request, result, prefs)


async def delete(request: Request) -> Response:
    """``DELETE [base]/[type]/[id]``: a logical delete recorded in history."""
    resource_type = resource_type_of(request)
    id_ = _id_of(request)
    response_media_type(request)
    stored = await store_of(request).delete(resource_type, id_, if_match_of(request))
    if stored is None:
        raise NotFound(f"{resource_type}/{id_} is not known", error_codes.RESOURCE_NOT_FOUND)
    outcome = information(f"Deleted {stored.reference}; version {stored.version} records it")
    return fhir_response(request, outcome, 200, {"ETag": etag(stored.version)})
