"""History: instance, type and system (https://hl7.org/fhir/R4/http.html#history)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from fhir_server.http.bundles import bundle, history_entry, page_url
from fhir_server.http.negotiation import response_media_type
from fhir_server.http.paging import int_cursor, page_size, since
from fhir_server.http.responses import base_url, fhir_response
from fhir_server.http.rest_routes import resource_type_of, store_of
from resources import error_codes
from resources.errors import NotFound
from resources.identity import check_id


async def _history(
    request: Request, resource_type: str | None, id_: str | None, path: str
) -> Response:
    response_media_type(request)
    count, cursor, since_ = page_size(request), int_cursor(request), since(request)
    page = await store_of(request).history(resource_type, id_, since_, count, cursor)
    base = base_url(request)
    kept = [(k, v) for k, v in request.query_params.multi_items() if k in ("_since", "_count")]
    links = {"self": page_url(base, path, list(request.query_params.multi_items()))}
    if page.next_cursor is not None:
        links["next"] = page_url(base, path, [*kept, ("_cursor", str(page.next_cursor))])
    entries = [history_entry(base, version) for version in page.versions]
    return fhir_response(request, bundle("history", entries, links, page.total))


async def instance_history(request: Request) -> Response:
    """``GET [base]/[type]/[id]/_history``."""
    resource_type = resource_type_of(request)
    id_ = check_id(request.path_params["id"])
    if await store_of(request).read(resource_type, id_) is None:
        raise NotFound(f"{resource_type}/{id_} is not known", error_codes.RESOURCE_NOT_FOUND)
    return await _history(request, resource_type, id_, f"{resource_type}/{id_}/_history")


async def type_history(request: Request) -> Response:
    """``GET [base]/[type]/_history``."""
    resource_type = resource_type_of(request)
    return await _history(request, resource_type, None, f"{resource_type}/_history")


async def system_history(request: Request) -> Response:
    """``GET [base]/_history``."""
    return await _history(request, None, None, "_history")
