"""One entry of a transaction or batch Bundle, executed on an open ``StoreTransaction``.

Each verb does what its single-request route does (same validation, same store calls, same
errors), so a Bundle entry and the equivalent HTTP request behave alike. A PATCH entry's
resource is a FHIRPath Patch ``Parameters`` or a ``Binary`` holding a JSON Patch.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

from fhir_server.http.bundle_entries import Entry
from fhir_server.http.bundles import bundle, search_entry
from fhir_server.http.conditional_routes import (
    MULTIPLE_DELETE_CAP,
    no_match_outcome,
    replacement,
)
from fhir_server.http.negotiation import JSON_PATCH
from fhir_server.http.rest_routes import patch_mutation, patch_of, validate
from resources import error_codes, fhir_json
from resources.errors import Gone, Invalid, NotFound, information, operation_outcome
from resources.identity import etag, instant
from resources.ports import NewResource, StoreTransaction
from resources.search.parse import parse_search
from resources.search.query import SearchQuery
from resources.search.registry import SearchRegistry
from resources.stored import StoredVersion, WriteResult


@dataclass
class Context:
    """What entries need besides the store: settings, the base URL, ids assigned ahead."""

    registry: SearchRegistry
    base: str
    default_count: int
    max_count: int
    delete_multiple: bool
    ids: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EntryResult:
    """An entry's answer: ``response.status``, the version it names, a body or an outcome."""

    status: int
    stored: StoredVersion | None = None
    body: bytes | dict[str, Any] | None = None
    outcome: dict[str, Any] | None = None
    wrote: bool = False
    location: bool = False

    @property
    def status_line(self) -> str:
        """``201 Created`` and the like."""
        return f"{self.status} {HTTPStatus(self.status).phrase}"


def criteria(resource_type: str, text: str, registry: SearchRegistry) -> SearchQuery:
    """A condition (``a=b&c=d`` or ``Type?a=b``), parsed strictly as the routes do."""
    query = text.split("?", 1)[1] if "?" in text else text
    pairs = parse_qsl(query, keep_blank_values=True)
    if not pairs:
        raise Invalid("The condition has no search criteria", error_codes.CONDITIONAL_UNSUPPORTED)
    return parse_search((resource_type,), pairs, registry, strict=True)


def written(result: WriteResult, wrote: bool = True) -> EntryResult:
    """The entry's answer to a write: 201 when it created, 200 else, hook findings kept."""
    stored = result.stored
    status = 201 if result.created else 200
    outcome = operation_outcome(result.issues) if result.issues else None  # write-hook findings
    return EntryResult(status, stored, stored.body, outcome, wrote=wrote, location=True)


def batched_write(tx: StoreTransaction, entry: Entry) -> bool:
    """An unconditional POST, or a PUT to an id without If-Match, of a type the transaction
    writes together (``create_many``)."""
    if entry.method == "POST":
        plain = entry.if_none_exist is None
    elif entry.method == "PUT":
        plain = entry.id_ is not None and entry.if_match is None
    else:
        return False
    return plain and tx.batches(entry.resource_type)


def new_resource(entry: Entry, ctx: Context) -> NewResource:
    """A POST's or a PUT's resource, validated as its route does, with its id: for a POST
    the one assigned ahead in place of the body's, for a PUT the url's."""
    if entry.method == "PUT" and entry.id_ is not None:
        resource = entry.resource or {}
        validate(entry.resource_type, resource)
        _check_body_id(entry, resource)
        return NewResource(entry.resource_type, resource, entry.id_, "PUT")
    resource = {k: v for k, v in (entry.resource or {}).items() if k != "id"}
    validate(entry.resource_type, resource)
    return NewResource(entry.resource_type, resource, ctx.ids.get(entry.index))


def _check_body_id(entry: Entry, resource: dict[str, Any]) -> None:
    if resource.get("id") != entry.id_:
        raise Invalid(
            f"Body id {resource.get('id')!r} does not match the url id {entry.id_!r}",
            error_codes.ID_MISMATCH,
            ("id",),
        )


async def _post(tx: StoreTransaction, entry: Entry, ctx: Context) -> EntryResult:
    item = new_resource(entry, ctx)
    condition = None
    if entry.if_none_exist is not None:
        condition = criteria(entry.resource_type, entry.if_none_exist, ctx.registry)
    result = await tx.create(entry.resource_type, item.body, condition, item.id_)
    return written(result, wrote=result.created)


async def _put(tx: StoreTransaction, entry: Entry, ctx: Context) -> EntryResult:
    resource = entry.resource or {}
    validate(entry.resource_type, resource)
    if entry.id_ is None:
        condition = criteria(entry.resource_type, query_text(entry), ctx.registry)
        new_id = ctx.ids.get(entry.index)
        result = await tx.update_matching(
            condition, replacement(resource), entry.if_match, "PUT", new_id
        )
        return written(result)
    _check_body_id(entry, resource)
    result = await tx.update(
        entry.resource_type, entry.id_, lambda _current: resource, entry.if_match, "PUT"
    )
    return written(result)


def _patch_document(resource: dict[str, Any]) -> tuple[str, Any]:
    if resource.get("resourceType") != "Binary":
        return "application/fhir+json", resource
    if resource.get("contentType") != JSON_PATCH:
        raise Invalid(f"A Binary patch must be {JSON_PATCH}", error_codes.BAD_PATCH)
    try:
        return JSON_PATCH, fhir_json.loads(base64.b64decode(str(resource.get("data", ""))))
    except (ValueError, binascii.Error):
        raise Invalid("The Binary does not hold a JSON Patch", error_codes.BAD_PATCH) from None


async def _patch(tx: StoreTransaction, entry: Entry, ctx: Context) -> EntryResult:
    mutate = patch_mutation(entry.resource_type, patch_of(*_patch_document(entry.resource or {})))
    if entry.id_ is None:
        condition = criteria(entry.resource_type, query_text(entry), ctx.registry)
        return written(await tx.update_matching(condition, mutate, entry.if_match, "PATCH", None))
    return written(await tx.update(entry.resource_type, entry.id_, mutate, entry.if_match, "PATCH"))


async def _delete(tx: StoreTransaction, entry: Entry, ctx: Context) -> EntryResult:
    if entry.id_ is None:
        condition = criteria(entry.resource_type, query_text(entry), ctx.registry)
        limit = MULTIPLE_DELETE_CAP if ctx.delete_multiple else 1
        deleted = await tx.delete_matching(condition, limit)
        if not deleted:  # as the conditional DELETE route answers
            return EntryResult(200, outcome=no_match_outcome(entry.resource_type))
        names = ", ".join(v.reference for v in deleted)
        return EntryResult(200, outcome=information(f"Deleted {names}"))
    stored = await tx.delete(entry.resource_type, entry.id_, entry.if_match)
    if stored is None:
        raise NotFound(
            f"{entry.resource_type}/{entry.id_} is not known", error_codes.RESOURCE_NOT_FOUND
        )
    message = f"Deleted {stored.reference}; version {stored.version} records it"
    return EntryResult(200, stored, outcome=information(message), wrote=True, location=True)


async def _get(tx: StoreTransaction, entry: Entry, ctx: Context) -> EntryResult:
    if entry.id_ is None:
        return await _search(tx, entry, ctx)
    if entry.version is not None:
        stored = await tx.vread(entry.resource_type, entry.id_, entry.version)
    else:
        stored = await tx.read(entry.resource_type, entry.id_)
    name = f"{entry.resource_type}/{entry.id_}"
    if stored is None:
        raise NotFound(f"{name} is not known", error_codes.RESOURCE_NOT_FOUND)
    if stored.deleted:
        raise Gone(f"{name} was deleted", error_codes.RESOURCE_GONE)
    if _unchanged(entry, stored):
        return EntryResult(304, stored)
    return EntryResult(200, stored, None if entry.method == "HEAD" else stored.body)


def _unchanged(entry: Entry, stored: StoredVersion) -> bool:
    """``request.ifNoneMatch`` names the version, or it was not modified after
    ``request.ifModifiedSince`` (an instant; instants have second precision in HTTP)."""
    if entry.if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in entry.if_none_match.split(",")}
        return "*" in tags or f'"{stored.version}"' in tags
    if entry.if_modified_since is None:
        return False
    try:
        since = datetime.fromisoformat(entry.if_modified_since.replace("Z", "+00:00"))
    except ValueError:
        return False
    return since.tzinfo is not None and stored.last_updated.replace(microsecond=0) <= since


async def _search(tx: StoreTransaction, entry: Entry, ctx: Context) -> EntryResult:
    query = parse_search(
        (entry.resource_type,),
        entry.query or [],
        ctx.registry,
        default_count=ctx.default_count,
        max_count=ctx.max_count,
    )
    page = await tx.search(query, ctx.base)
    entries = [search_entry(ctx.base, v) for v in page.matches]
    links = {"self": f"{ctx.base}/{entry.resource_type}?{query_text(entry)}".rstrip("?")}
    found = bundle("searchset", entries, links, page.total)
    return EntryResult(200, body=None if entry.method == "HEAD" else found)


def query_text(entry: Entry) -> str:
    """The entry's url query, encoded again (a condition for ``criteria``)."""
    return urlencode(entry.query or [])


_ACTIONS = {
    "POST": _post,
    "PUT": _put,
    "PATCH": _patch,
    "DELETE": _delete,
    "GET": _get,
    "HEAD": _get,
}


async def execute(tx: StoreTransaction, entry: Entry, ctx: Context) -> EntryResult:
    """Run one entry; errors are the single-request route's ``FhirError`` s."""
    return await _ACTIONS[entry.method](tx, entry, ctx)


def response_entry(base: str, result: EntryResult, return_: str) -> dict[str, Any]:
    """The transaction-response or batch-response entry of a result, body per ``Prefer``."""
    response: dict[str, Any] = {"status": result.status_line}
    entry: dict[str, Any] = {}
    stored = result.stored
    if stored is not None:
        entry["fullUrl"] = f"{base}/{stored.reference}"
        if result.location:
            response["location"] = f"{base}/{stored.reference}/_history/{stored.version}"
        response["etag"] = etag(stored.version)
        response["lastModified"] = instant(stored.last_updated)
    if result.body is not None and return_ != "minimal":
        body = result.body
        entry["resource"] = orjson.Fragment(body) if isinstance(body, bytes) else body
    if result.outcome is not None and (return_ == "OperationOutcome" or result.status >= 400):
        response["outcome"] = result.outcome
    entry["response"] = response
    return entry
