"""``POST /auth/launch``: the portal mints an EHR ``launch`` value for a patient.

The caller is a backend service (a system-level bearer token) when auth is on. The body is a
form or JSON with ``patient`` and optionally ``encounter``; the answer carries ``launch`` and
``iss``, the two parameters the portal passes to the app's launch URL.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from fhir_server.auth import launches
from fhir_server.auth.server import auth_server, fhir_base
from fhir_server.http.auth_guard import verify_request
from fhir_server.http.oauth_forms import single_values
from resources import error_codes
from resources.errors import Forbidden, Invalid
from smart_auth.oauth_errors import OAuthError


async def _parameters(request: Request) -> dict[str, str]:
    body = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(body)
        except ValueError:
            raise Invalid("The body is not JSON", error_codes.LAUNCH_INVALID) from None
        if not isinstance(data, dict):
            raise Invalid("The body must be a JSON object", error_codes.LAUNCH_INVALID)
        return {k: str(v) for k, v in data.items() if v is not None}
    try:
        return single_values(parse_qsl(body.decode("utf-8", "replace")))
    except OAuthError as error:
        raise Invalid(error.description, error_codes.LAUNCH_INVALID) from None


async def mint_launch(request: Request) -> Response:
    """Mint a launch value bound to an existing patient (and encounter)."""
    server = auth_server(request)
    if server.settings.auth_required:
        access = await verify_request(request.scope, server)
        if access.subject is not None:
            raise Forbidden(
                "Only a backend service may mint launches", error_codes.LAUNCH_FORBIDDEN
            )
    params = await _parameters(request)
    patient, encounter = params.get("patient"), params.get("encounter") or None
    if not patient:
        raise Invalid("patient is required", error_codes.LAUNCH_INVALID)
    async with request.app.state.engine.connect() as conn:
        if not await launches.exists(conn, "Patient", patient):
            raise Invalid(f"No Patient/{patient}", error_codes.LAUNCH_INVALID)
        if encounter and not await launches.exists(conn, "Encounter", encounter):
            raise Invalid(f"No Encounter/{encounter}", error_codes.LAUNCH_INVALID)
    value = await launches.mint(request.app.state.redis, patient, encounter)
    body = {"launch": value, "iss": fhir_base(request), "expires_in": launches.LAUNCH_TTL_S}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
