"""Break-glass: the emergency token and ``Patient/[id]/$emergency-info`` under it.

``POST /auth/emergency-token`` (form: client authentication as at the token endpoint,
``patient``, ``reason``) gives a confidential first-responder client registered with the
``system/emergency-info`` scope a short-lived token for that one patient. The token's only
scope grants no resource interaction, so the access policy answers 403 everywhere but here.
Each use writes a high-priority AuditEvent before answering, a ``Communication`` to the
patient, and a notice through the ``PatientNotifier``.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fhir_server.audit.access import EMERGENCY_SCOPE, is_emergency
from fhir_server.audit.context import current
from fhir_server.audit.events import ACT_REASON, Actor, EventFacts, build_event
from fhir_server.audit.notify import OutboxNotifier, PatientNotifier
from fhir_server.auth.client_auth import authenticate_client
from fhir_server.auth.server import auth_server, endpoints
from fhir_server.http.oauth_forms import oauth_error, oauth_json, read_form
from fhir_server.http.operation_routes import invoke
from fhir_server.http.responses import base_url, fhir_response
from operations import emergency_info
from operations.base import OperationContext
from operations.parameters import Parameters
from resources import error_codes
from resources.errors import Forbidden
from resources.identity import check_id, now
from smart_auth.context import AccessContext
from smart_auth.oauth_errors import OAuthError, invalid_request, invalid_scope
from smart_auth.tokens import Grant, issue_access_token

REASON_KEY = "nutrivision:emergency-reason:"
MAX_REASON = 500


def _reason(form: dict[str, str]) -> str:
    reason = form.get("reason", "").strip()
    if len(reason) < 3 or len(reason) > MAX_REASON:
        raise invalid_request(f"a reason of 3 to {MAX_REASON} characters is required")
    return reason


async def _issue(request: Request, form: dict[str, str]) -> dict[str, Any]:
    urls = endpoints(request)
    server = auth_server(request)
    async with request.app.state.engine.begin() as conn:
        client = await authenticate_client(
            conn, request.app.state.redis, form, request.headers.get("authorization"), urls.token
        )
    if getattr(request.app.state, "audit", None) is None:
        raise invalid_request("emergency access needs the audit trail on")
    if not client.confidential or EMERGENCY_SCOPE not in client.scopes:
        raise invalid_scope(f"the client is not registered for {EMERGENCY_SCOPE}")
    patient, reason = form.get("patient", ""), _reason(form)
    stored = await request.app.state.store.read("Patient", patient) if patient else None
    if stored is None or stored.deleted:
        raise invalid_request("patient must name a known Patient id")
    lifetime = request.app.state.settings.emergency_token_lifetime_s
    grant = Grant(client.client_id, (EMERGENCY_SCOPE,), uuid.uuid4().hex, patient=patient)
    token = issue_access_token(server.key, grant, urls.issuer, urls.issuer, lifetime)
    await request.app.state.redis.set(REASON_KEY + token.jti, reason, ex=lifetime + 60)
    audit = current.get()
    if (
        audit is not None and request.app.state.audit is not None
    ):  # the issue event carries the client, patient and reason
        audit.recorded = True
        actor = Actor(client.client_id, address=audit.actor.address, token_id=token.jti)
        facts = EventFacts(
            "emergency-token", actor, 200, (), None, patient, reason=reason, high_priority=True
        )
        await request.app.state.audit.write_now(build_event(facts))
    return {
        "access_token": token.value,
        "token_type": "Bearer",
        "expires_in": lifetime,
        "scope": EMERGENCY_SCOPE,
        "patient": patient,
    }


async def emergency_token(request: Request) -> Response:
    """``POST /auth/emergency-token``."""
    try:
        return oauth_json(await _issue(request, await read_form(request)))
    except OAuthError as error:
        return oauth_error(error)


def _communication(patient: str, client_id: str, reason: str) -> dict[str, Any]:
    sent = now()
    text = (
        f"Your emergency information (allergies, conditions, medications, contacts, advance "
        f"directives) was read under emergency access by {client_id} at {sent.isoformat()}. "
        f"Reason given: {reason}"
    )
    return {
        "resourceType": "Communication",
        "status": "completed",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/communication-category",
                        "code": "alert",
                    }
                ]
            }
        ],
        "priority": "urgent",
        "subject": {"reference": f"Patient/{patient}"},
        "recipient": [{"reference": f"Patient/{patient}"}],
        "sent": sent.isoformat(),
        "reasonCode": [{"coding": [{"system": ACT_REASON, "code": "BTG"}]}],
        "payload": [{"contentString": text}],
    }


def notifier_of(request: Request) -> PatientNotifier:
    """The configured notifier, else the outbox fake."""
    found: PatientNotifier | None = getattr(request.app.state, "notifier", None)
    return found or OutboxNotifier(request.app.state.redis)


async def _break_glass(request: Request, access: AccessContext, patient: str) -> Response:
    if access.patient != patient:
        raise Forbidden(
            "The emergency token was issued for another patient",
            error_codes.EMERGENCY_OTHER_PATIENT,
        )
    ctx = OperationContext(
        store=request.app.state.store,
        base_url=base_url(request),
        method=request.method,
        resource_type="Patient",
        id=patient,
    )
    result = await emergency_info.handle(ctx, Parameters())
    reason = await request.app.state.redis.get(REASON_KEY + (access.token_id or ""))
    reason_text = reason.decode() if isinstance(reason, bytes) else "not recorded"
    audit = current.get()
    actor = audit.actor if audit else Actor(access.client_id, token_id=access.token_id)
    facts = EventFacts(
        "break-glass",
        actor,
        200,
        (f"Patient/{patient}",),
        "$emergency-info",
        patient,
        reason=reason_text,
        high_priority=True,
    )
    await request.app.state.audit.write_now(build_event(facts))
    if audit is not None:
        audit.recorded = True
    written = await request.app.state.store.create(
        "Communication", _communication(patient, access.client_id, reason_text), None
    )
    await notifier_of(request).notify(patient, written.stored.id, "emergency-access")
    body = result.body if isinstance(result.body, dict) else None
    return fhir_response(request, body, result.status)


async def emergency_info_route(request: Request) -> Response:
    """``Patient/[id]/$emergency-info``: break-glass for an emergency token, else the
    ordinary operation under the caller's own access."""
    access: AccessContext | None = getattr(request.state, "access", None)
    if access is None or not is_emergency(access):
        request.scope["path_params"].update(type="Patient", op="$emergency-info")
        return await invoke(request)
    if getattr(request.app.state, "audit", None) is None:
        raise Forbidden(
            "Emergency access needs the audit trail on", error_codes.EMERGENCY_NEEDS_AUDIT
        )
    return await _break_glass(request, access, check_id(request.path_params["id"]))
