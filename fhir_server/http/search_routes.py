"""Type-level search (https://hl7.org/fhir/R4/search.html), ``GET`` and ``POST _search``.

Parameters the store cannot answer yet are reported as a warning in the Bundle, or refused
with 400 under ``Prefer: handling=strict``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from fhir_server.http.body import read_bytes
from fhir_server.http.bundles import bundle, outcome_entry, page_url, search_entry
from fhir_server.http.negotiation import preferences, response_media_type
from fhir_server.http.paging import id_cursor, page_size
from fhir_server.http.responses import base_url, fhir_response
from fhir_server.http.rest_routes import body_limit, resource_type_of, store_of
from fhir_server.store.criteria import SUPPORTED
from resources import error_codes
from resources.errors import Invalid, Issue, operation_outcome

CONTROL_PARAMS = frozenset({"_count", "_cursor", "_format", "_pretty"})


async def _parameters(request: Request) -> list[tuple[str, str]]:
    params = list(request.query_params.multi_items())
    if request.method == "POST":
        form = (await read_bytes(request, body_limit(request))).decode("utf-8", "replace")
        params += parse_qsl(form, keep_blank_values=True)
    return params


async def search(request: Request) -> Response:
    """Search one type; the next page continues after the last id (a keyset cursor)."""
    resource_type = resource_type_of(request)
    response_media_type(request)
    strict = preferences(request).strict
    params = await _parameters(request)
    criteria = [(k, v) for k, v in params if k in SUPPORTED]
    unknown = sorted({k for k, _ in params if k not in SUPPORTED and k not in CONTROL_PARAMS})
    if unknown and strict:
        raise Invalid(
            f"Unknown or unsupported search parameter(s): {', '.join(unknown)}",
            error_codes.UNKNOWN_PARAMETER,
        )
    count = page_size(request)
    cursor = id_cursor(request)
    versions, next_cursor = await store_of(request).search(resource_type, criteria, count, cursor)
    base = base_url(request)
    kept = [*criteria, ("_count", str(count))]
    links = {"self": page_url(base, resource_type, kept)}
    if next_cursor is not None:
        links["next"] = page_url(base, resource_type, [*kept, ("_cursor", next_cursor)])
    entries = [search_entry(base, v) for v in versions]
    if unknown:
        message = f"Ignored unknown or unsupported search parameter(s): {', '.join(unknown)}"
        issue = Issue("warning", "not-supported", message, nv_code=error_codes.UNKNOWN_PARAMETER)
        entries.append(outcome_entry(operation_outcome([issue])))
    return fhir_response(request, bundle("searchset", entries, links, None))
