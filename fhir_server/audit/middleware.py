"""The audit middleware: one AuditEvent per request that touches health data or signs in.

It sits outside the bearer guard (so it records the guard's 401s too) and reads the caller
from ``state["access"]`` when it needs it; it puts the request on a context variable for the
write hook and break-glass, and after the response queues the event
unless deeper code recorded the request already (a successful write, in its transaction).
It also starts the recorder's flusher at startup and flushes it at shutdown (lifespan).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fhir_server.audit.classify import Interaction, classify
from fhir_server.audit.context import RequestAudit, current
from fhir_server.audit.events import Actor, EventFacts, build_event
from fhir_server.audit.recorder import AuditRecorder
from fhir_server.settings import Settings

FORM_PATHS = frozenset({"/auth/token", "/auth/emergency-token"})


def _form_client(body: bytes, headers: list[tuple[bytes, bytes]]) -> str | None:
    """The client named by a token request (for the audit only: never trusted for access)."""
    form = dict(parse_qsl(body.decode("utf-8", "replace")))
    if form.get("client_id"):
        return form["client_id"]
    assertion = form.get("client_assertion", "")
    if assertion.count(".") == 2:
        try:
            payload = assertion.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            return str(claims.get("sub")) if isinstance(claims, dict) else None
        except ValueError:
            return None
    for name, value in headers:
        if name == b"authorization" and value[:6].lower() == b"basic ":
            try:
                return base64.b64decode(value[6:]).decode().split(":")[0]
            except ValueError:
                return None
    return None


PATIENT_IN_BODY = re.compile(
    rb'"(?:subject|patient|beneficiary)"\s*:\s*\{[^{}]*?"reference"\s*:\s*"Patient/([A-Za-z0-9.-]{1,64})"'
)
"""The patient a read resource belongs to, found in its JSON without parsing it."""
SNIFFED = frozenset({"read", "vread"})
SNIFF_BYTES = 64 * 1024


@dataclass
class Exchange:
    """What the middleware keeps of one request and its response."""

    status: int = 500
    form: bytearray = field(default_factory=bytearray)
    head: bytearray = field(default_factory=bytearray)


def _facts(
    scope: Scope, interaction: Interaction, audit: RequestAudit, seen: Exchange
) -> EventFacts:
    actor = audit.actor
    if scope["path"] in FORM_PATHS:
        actor = Actor(_form_client(bytes(seen.form), scope["headers"]), address=actor.address)
    subtype = interaction.subtype
    if subtype == "login" and seen.status >= 400:
        subtype = "login-failed"
    patient = interaction.patient
    if patient is None and subtype in SNIFFED and seen.status == 200:
        found = PATIENT_IN_BODY.search(seen.head)
        patient = found.group(1).decode() if found else None
    return EventFacts(
        subtype, actor, seen.status, interaction.references, interaction.query, patient
    )


class AuditMiddleware:
    """ASGI middleware recording an AuditEvent per audited request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._lifespan_receive(scope, receive), _starting(scope, send))
            return
        recorder: AuditRecorder | None = getattr(scope["app"].state, "audit", None)
        interaction = classify(scope["method"], scope["path"], scope["query_string"])
        if scope["type"] != "http" or recorder is None or interaction is None:
            await self.app(scope, receive, send)
            return
        audit = RequestAudit(scope)
        token = current.set(audit)
        seen = Exchange()
        sniff = interaction.subtype in SNIFFED and interaction.patient is None

        async def tee(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen.status = int(message["status"])
            elif sniff and len(seen.head) < SNIFF_BYTES:
                seen.head.extend(message.get("body", b""))
            await send(message)

        async def tee_receive() -> Message:
            message = await receive()
            if scope["path"] in FORM_PATHS and len(seen.form) < SNIFF_BYTES:
                seen.form.extend(message.get("body", b""))
            return message

        try:
            await self.app(scope, tee_receive, tee)
        finally:
            current.reset(token)
            if not audit.recorded or seen.status >= 400:
                await recorder.record(build_event(_facts(scope, interaction, audit, seen)))

    def _lifespan_receive(self, scope: Scope, receive: Receive) -> Receive:
        async def wrapped() -> Message:
            message = await receive()
            app: Any = scope["app"]
            if message["type"] == "lifespan.shutdown" and getattr(app.state, "audit", None):
                await app.state.audit.close()
            return message

        return wrapped


def _starting(scope: Scope, send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "lifespan.startup.complete":
            start_recorder(scope["app"], scope["app"].state.settings)
        await send(message)

    return wrapped


def start_recorder(app: Any, settings: Settings) -> None:
    """Create and start the process's recorder once the engine exists (after startup)."""
    if settings.audit_enabled and getattr(app.state, "audit", None) is None:
        recorder = AuditRecorder(
            app.state.engine, settings.audit_queue_size, settings.audit_flush_interval_s
        )
        recorder.start()
        app.state.audit = recorder


def install_audit(app: FastAPI) -> None:
    """Add the audit middleware; call after ``install_auth`` so it runs outside the bearer
    guard and also records the requests the guard refuses (401)."""
    app.add_middleware(AuditMiddleware)
