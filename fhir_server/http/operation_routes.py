"""Operations (https://hl7.org/fhir/R4/operations.html) at system, type and instance level:
``[base]/$op``, ``[base]/[type]/$op``, ``[base]/[type]/[id]/$op``, by GET or POST.

The route finds the module in ``operations.REGISTRY``, reads its parameters (query string,
a ``Parameters`` body, or the raw body for the media types the module reads itself) and
renders its ``OperationResult``.
"""

from __future__ import annotations

from types import ModuleType

from starlette.requests import Request
from starlette.responses import Response

from fhir_server.http.body import parse_json, read_bytes
from fhir_server.http.negotiation import JSON_TYPES, require_content_type
from fhir_server.http.paging import check_no_nul
from fhir_server.http.responses import base_url, fhir_response
from fhir_server.http.rest_routes import body_limit, resource_type_of, store_of
from operations.base import OperationContext, OperationResult
from operations.lookup import Level, find_operation
from operations.parameters import Parameters, check, from_body, from_query
from resources import error_codes
from resources.errors import Invalid, MethodNotAllowed
from resources.identity import check_id


def _code(request: Request) -> str:
    return str(request.path_params["op"]).removeprefix("$")


def _module(request: Request) -> tuple[ModuleType, Level]:
    if "id" in request.path_params:
        level: Level = "instance"
    elif "type" in request.path_params:
        level = "type"
    else:
        level = "system"
    resource_type = resource_type_of(request) if level != "system" else None
    return find_operation(_code(request), level, resource_type), level


def _raw_types(module: ModuleType) -> frozenset[str]:
    return frozenset(getattr(module, "RAW_MEDIA_TYPES", ()))


async def _parameters(request: Request, module: ModuleType, body: bytes) -> Parameters:
    definition = module.DEFINITION
    query = from_query(definition, check_no_nul(list(request.query_params.multi_items())))
    if request.method == "GET":
        if definition.get("affectsState"):
            raise MethodNotAllowed(
                f"${definition['code']} changes data: invoke it with POST",
                error_codes.OPERATION_GET_AFFECTS_STATE,
            )
        return check(definition, query)
    if not body.strip():
        return check(definition, query)
    media = require_content_type(request, JSON_TYPES | _raw_types(module))
    if media in _raw_types(module):
        return query  # the module reads ctx.body itself and checks what it finds there
    resource = parse_json(body)
    if not isinstance(resource, dict):
        raise Invalid("The body is not a FHIR resource", error_codes.NOT_A_RESOURCE)
    return check(definition, from_body(definition, resource, query))


def _render(request: Request, result: OperationResult) -> Response:
    headers = dict(result.headers)
    if result.media_type is not None:
        content = result.body if isinstance(result.body, bytes) else b""
        return Response(content, result.status, headers, media_type=result.media_type)
    body = None if isinstance(result.body, bytes) else result.body
    return fhir_response(request, body, result.status, headers)


async def invoke(request: Request) -> Response:
    """Run the named operation for this request."""
    module, level = _module(request)
    body = b"" if request.method == "GET" else await read_bytes(request, body_limit(request))
    params = await _parameters(request, module, body)
    ctx = OperationContext(
        store=store_of(request),
        base_url=base_url(request),
        method=request.method,
        resource_type=request.path_params.get("type"),
        id=check_id(request.path_params["id"]) if level == "instance" else None,
        body=body,
        content_type=request.headers.get("content-type", ""),
        headers=dict(request.headers),
        services=getattr(request.app.state, "services", {}),
        access=getattr(request.state, "access", None),
    )
    return _render(request, await module.handle(ctx, params))
