"""Search (https://hl7.org/fhir/R4/search.html): type level (``GET [type]``, ``POST
[type]/_search``), system level (``GET [base]?_type=...``, ``[base]/_search``) and compartment
(``GET [compartment]/[id]/[type]``).

The parameters (query string, plus the form body of a POST) go to ``parse_search``, under
``Prefer: handling=strict`` when asked; the store answers one keyset page. Parser warnings
become an OperationOutcome entry (``search.mode`` outcome).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from fhir_server.http.body import read_bytes
from fhir_server.http.bundles import (
    bundle,
    include_entry,
    outcome_entry,
    page_url,
    search_entry,
    warning_outcome,
)
from fhir_server.http.negotiation import preferences, response_media_type
from fhir_server.http.paging import check_no_nul, search_cursor
from fhir_server.http.reindex_routes import index_issues
from fhir_server.http.responses import base_url, fhir_response
from fhir_server.http.rest_routes import body_limit, registry_of, resource_type_of, store_of
from resources import error_codes
from resources.errors import NotFound
from resources.identity import check_id
from resources.resource_types import SERVED_TYPES
from resources.search.parse import parse_search

Params = list[tuple[str, str]]


async def _parameters(request: Request) -> Params:
    params = list(request.query_params.multi_items())
    if request.method == "POST":
        form = (await read_bytes(request, body_limit(request))).decode("utf-8", "replace")
        params += parse_qsl(form, keep_blank_values=True)
    return check_no_nul(params)


def _types(params: Params) -> tuple[str, ...]:
    """``_type=A,B`` (repeatable) for a system-level search; unknown types are 404."""
    named = [t.strip() for k, v in params if k == "_type" for t in v.split(",") if t.strip()]
    for name in named:
        if name not in SERVED_TYPES:
            raise NotFound(f"Unknown resource type {name!r}", error_codes.UNKNOWN_RESOURCE_TYPE)
    return tuple(dict.fromkeys(named))


async def _answer(
    request: Request,
    types: tuple[str, ...],
    path: str,
    params: Params,
    compartment: tuple[str, str] | None = None,
) -> Response:
    response_media_type(request)
    settings = request.app.state.settings
    query = parse_search(
        types,
        params,
        registry_of(request),
        strict=preferences(request).strict,
        default_count=int(settings.default_page_size),
        max_count=int(settings.max_page_size),
        compartment=compartment,
    )
    not_ready = await index_issues(request, types, params, preferences(request).strict)
    cursor = search_cursor(params)
    base = base_url(request)
    page = await store_of(request).search(query, cursor, base)
    echo = list(query.echo)
    links = {
        "self": page_url(base, path, echo + ([("_cursor", cursor)] if cursor else [])),
        "first": page_url(base, path, echo),
    }
    if page.next_cursor is not None:
        links["next"] = page_url(base, path, [*echo, ("_cursor", page.next_cursor)])
    if page.previous_cursor is not None:
        links["previous"] = page_url(base, path, [*echo, ("_cursor", page.previous_cursor)])
    entries = [search_entry(base, v) for v in page.matches]
    entries += [include_entry(base, v) for v in page.included]
    if page.warnings or not_ready:
        outcome = warning_outcome(page.warnings)
        outcome["issue"] = [*outcome.get("issue", []), *not_ready]
        entries.append(outcome_entry(outcome))
    return fhir_response(request, bundle("searchset", entries, links, page.total))


async def search(request: Request) -> Response:
    """``GET [type]`` and ``POST [type]/_search``."""
    resource_type = resource_type_of(request)
    params = await _parameters(request)
    return await _answer(request, (resource_type,), resource_type, params)


async def system_search(request: Request) -> Response:
    """``GET [base]?_type=...`` and ``GET|POST [base]/_search``: every type, or those named."""
    params = await _parameters(request)
    return await _answer(request, _types(params), "", params)


async def compartment_search(request: Request) -> Response:
    """``GET [compartment]/[id]/[type]``: the type's resources in that compartment."""
    owner = resource_type_of(request)
    owner_id = check_id(request.path_params["id"])
    member: str = request.path_params["member"]
    if member not in SERVED_TYPES:
        raise NotFound(f"Unknown resource type {member!r}", error_codes.UNKNOWN_RESOURCE_TYPE)
    params = await _parameters(request)
    path = f"{owner}/{owner_id}/{member}"
    return await _answer(request, (member,), path, params, (owner, owner_id))
