"""Our implementation guide over HTTP: its conformance resources read-only at
``/fhir/<Type>/<id>`` (falling back to the store for ids the guide does not have), and the
static IG site under ``/ig/`` when it has been built (``nutrivision ig build``)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from conformance.guide import PUBLISHED_TYPES, publish, published
from fhir_server.http.negotiation import response_media_type
from fhir_server.http.responses import fhir_response
from fhir_server.http.rest_routes import delete, patch, read, update
from resources import error_codes
from resources.errors import MethodNotAllowed, NotFound
from resources.ports import ResourceStore

_log = logging.getLogger(__name__)


async def publish_guide(store: ResourceStore) -> None:
    """Store the guide's resources at start; a database not reachable yet is logged, not fatal
    (reads by id are answered from the guide itself, and /ready reports the database)."""
    try:
        written = await publish(store)
    except Exception:  # the server must start; the next start publishes again
        _log.exception("The implementation guide's resources could not be stored")
        return
    _log.info("Stored %d implementation guide resource(s)", written)


class ConformanceTypeConvertor(Convertor[str]):
    """A path segment naming one of the conformance types the guide publishes."""

    regex = "(?:" + "|".join(sorted(PUBLISHED_TYPES)) + ")"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


class FhirIdConvertor(Convertor[str]):
    """A path segment that is a FHIR id (not ``$op`` or ``_history``)."""

    regex = r"[A-Za-z0-9\-.]{1,64}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("fhir_id", FhirIdConvertor())
register_url_convertor("conformance_type", ConformanceTypeConvertor())


async def published_read(request: Request) -> Response:
    """``GET /fhir/<conformance type>/<id>``: the guide's resource, else the stored one."""
    resource_type = str(request.path_params["type"])
    resource = published(resource_type, str(request.path_params["id"]))
    if resource is None:
        return await read(request)
    response_media_type(request)
    return fhir_response(request, resource)


def _guarded(
    write: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    async def guarded(request: Request) -> Response:
        if published(str(request.path_params["type"]), str(request.path_params["id"])):
            raise MethodNotAllowed(
                "The implementation guide's resources are read-only",
                error_codes.IG_RESOURCE_READ_ONLY,
            )
        return await write(request)

    return guarded


def site_dir(request: Request) -> Path:
    """Where ``nutrivision ig build`` writes the site: ``ig-site`` in the data directory."""
    settings = request.app.state.settings
    return Path(settings.data_dir) / "ig-site"


async def site_page(request: Request) -> Response:
    """``GET /ig/<page>``: a page of the built site."""
    root = site_dir(request).resolve()
    name = str(request.path_params.get("page") or "index.html")
    path = (root / name).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound(f"No IG page {name!r}", error_codes.IG_RESOURCE_NOT_FOUND)
    return FileResponse(path)


Endpoint = Callable[[Request], Awaitable[Response]]
IG_ROUTES: tuple[tuple[str, str, Endpoint], ...] = (
    ("GET", "/fhir/{type:conformance_type}/{id:fhir_id}", published_read),
    ("PUT", "/fhir/{type:conformance_type}/{id:fhir_id}", _guarded(update)),
    ("PATCH", "/fhir/{type:conformance_type}/{id:fhir_id}", _guarded(patch)),
    ("DELETE", "/fhir/{type:conformance_type}/{id:fhir_id}", _guarded(delete)),
    ("GET", "/ig/", site_page),
    ("GET", "/ig/{page:path}", site_page),
)
"""Placed before the REST routes so that the guide's resources win over the store's."""
