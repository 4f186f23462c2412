"""The authorization endpoint (GET and POST) and the consent step that issues the code.

https://hl7.org/fhir/smart-app-launch/app-launch.html#obtain-authorization-code
Pages: sign in (``login_routes``), optional one-time code, patient picker for a standalone
launch by a practitioner, then consent, where the user may grant fewer scopes than asked.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from fhir_server.auth import authz_tx, launches, redis_state
from fhir_server.auth.clients import get_client
from fhir_server.auth.pages import error_page, login_page
from fhir_server.auth.server import auth_server, fhir_base
from fhir_server.http.oauth_forms import FORM_TYPE, single_values
from smart_auth.authorize import (
    AuthorizationRequest,
    RedirectError,
    RegisteredClient,
    UserFacingError,
    check_request,
)
from smart_auth.credentials import digest, random_token
from smart_auth.oauth_errors import OAuthError

CODE_LIFETIME_S = 60
CODE_KEPT_S = 600
"""A used or expired code is remembered this long, so a replay still revokes its tokens."""


async def _params(request: Request) -> dict[str, str]:
    if request.method == "GET":
        return single_values(list(request.query_params.multi_items()))
    if not request.headers.get("content-type", "").startswith(FORM_TYPE):
        raise UserFacingError(f"The authorization request must be sent as {FORM_TYPE}.")
    return single_values(parse_qsl((await request.body()).decode("utf-8", "replace")))


async def _checked(request: Request, params: dict[str, str]) -> tuple[AuthorizationRequest, str]:
    async with request.app.state.engine.connect() as conn:
        client = await get_client(conn, params.get("client_id", ""))
    if client is None:
        raise UserFacingError("Unknown application (client_id).")
    registered = RegisteredClient(
        client.client_id, not client.confidential, client.redirect_uris, client.scopes
    )
    return check_request(params, registered, fhir_base(request)), client.name


def _error_redirect(error: RedirectError) -> Response:
    params = {"error": error.error, "error_description": error.description, "state": error.state}
    return authz_tx.redirect(error.redirect_uri, params)


async def _launch_context(request: Request, checked: AuthorizationRequest) -> dict[str, Any]:
    if not checked.launch or "launch" not in checked.scopes:
        return {}
    context = await launches.resolve(request.app.state.redis, checked.launch)
    if context is None:
        raise RedirectError(
            checked.redirect_uri, "invalid_request", "unknown or expired launch", checked.state
        )
    return {"launch_patient": context["patient"], "launch_encounter": context.get("encounter")}


async def authorize(request: Request) -> Response:
    """``GET|POST /auth/authorize``: check the request, then show the sign-in page."""
    try:
        checked, client_name = await _checked(request, await _params(request))
        data = {**asdict(checked), "scopes": list(checked.scopes), "client_name": client_name}
        data.update(await _launch_context(request, checked))
    except (UserFacingError, OAuthError) as error:
        return authz_tx.html(error_page(str(error)), 400)
    except RedirectError as error:
        return _error_redirect(error)
    tx = await authz_tx.start(request, data)
    return authz_tx.html(login_page(tx, client_name))


def _granted(tx: dict[str, Any], ticked: list[str]) -> tuple[str, ...]:
    return tuple(s for s in tx["scopes"] if s in ticked)


def _code_record(tx: dict[str, Any], scopes: tuple[str, ...], style: str | None) -> dict[str, Any]:
    ehr = bool(tx.get("launch_patient"))
    patient_wanted = bool({"launch", "launch/patient"} & set(scopes))
    patient = tx.get("patient") if patient_wanted else None
    encounter = tx.get("launch_encounter") if "launch" in scopes else None
    extras: dict[str, Any] = {}
    if patient:
        extras = {"need_patient_banner": not ehr}
        if style:
            extras["smart_style_url"] = style
    return {
        "client_id": tx["client_id"],
        "redirect_uri": tx["redirect_uri"],
        "scopes": list(scopes),
        "subject": tx["user_id"],
        "fhir_user": tx["fhir_user"],
        "patient": patient,
        "encounter": encounter,
        "code_challenge": tx["code_challenge"],
        "nonce": tx["nonce"],
        "grant_id": uuid.uuid4().hex,
        "expires_at": int(time.time()) + CODE_LIFETIME_S,
        "extras": extras,
    }


async def consent(request: Request) -> Response:
    """``POST /auth/consent``: allow (the ticked scopes) or deny; redirect with the code."""
    pairs = parse_qsl((await request.body()).decode("utf-8", "replace"))
    form = dict(pairs)
    tx = await authz_tx.load(request, form.get("tx", ""))
    if tx is None or not tx.get("user_id") or tx.get("needs_patient"):
        return authz_tx.expired()
    await authz_tx.finish(request, form["tx"])
    scopes = _granted(tx, [value for name, value in pairs if name == "scope"])
    if form.get("decision") != "allow" or not scopes:
        params = {"error": "access_denied", "error_description": "access was not granted"}
        return authz_tx.redirect(tx["redirect_uri"], {**params, "state": tx["state"]})
    style = auth_server(request).settings.smart_style_url
    code = random_token()
    record = _code_record(tx, scopes, style)
    await redis_state.put_json(request.app.state.redis, "code", digest(code), record, CODE_KEPT_S)
    return authz_tx.redirect(tx["redirect_uri"], {"code": code, "state": tx["state"]})
