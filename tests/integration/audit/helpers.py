"""Helpers of the audit tests: tokens, writes, and the audit trail read as an auditor."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import httpx
import psycopg

from fhir_server.audit.chain import Verdict, verify_chain
from fhir_server.db.engine import create_engine
from tests.auth_fixtures import TokenMinter

AUDITOR = "system/AuditEvent.rs"
SEAL_WAIT_S = 20


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of a token."""
    return {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}


def write(base: str, mint_token: TokenMinter, resource: dict[str, Any]) -> str:
    """Create a resource with a full-access backend token; its id."""
    headers = bearer(mint_token("system/*.cruds", client_id="audit-writer"))
    created = httpx.post(f"{base}/{resource['resourceType']}", json=resource, headers=headers)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def audit_search(base: str, mint_token: TokenMinter, **params: str) -> list[dict[str, Any]]:
    """AuditEvents matching ``params``, read with an auditor token."""
    headers = bearer(mint_token(AUDITOR, client_id="auditor"))
    found = httpx.get(f"{base}/AuditEvent", params={**params, "_count": "500"}, headers=headers)
    assert found.status_code == 200, found.text
    return [entry["resource"] for entry in found.json().get("entry", [])]


def wait_for_events(
    base: str, mint_token: TokenMinter, minimum: int = 1, **params: str
) -> list[dict[str, Any]]:
    """Poll until the queued events of a read have been flushed (the flush is periodic)."""
    deadline = time.monotonic() + SEAL_WAIT_S
    while True:
        events = audit_search(base, mint_token, **params)
        if len(events) >= minimum or time.monotonic() > deadline:
            return events
        time.sleep(0.1)


def decoded_query(event: dict[str, Any]) -> str | None:
    """The search query an event records, decoded."""
    for entity in event.get("entity", []):
        if "query" in entity:
            return base64.b64decode(entity["query"]).decode()
    return None


def connect(database_url: str) -> psycopg.Connection[Any]:
    """A plain psycopg connection to the test database (autocommit)."""
    return psycopg.connect(
        database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    )


def verdict(database_url: str) -> Verdict:
    """The audit chain's verdict, as ``audit verify`` computes it."""

    async def run() -> Verdict:
        engine = create_engine(database_url, 1)
        try:
            async with engine.connect() as conn:
                return await verify_chain(conn)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def wait_sealed(database_url: str) -> None:
    """Wait until every committed event has been sealed into the chain."""
    deadline = time.monotonic() + SEAL_WAIT_S
    with connect(database_url) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT count(*) FROM audit_event WHERE seq IS NULL").fetchone()
            if row is not None and row[0] == 0:
                return
            time.sleep(0.1)
    raise AssertionError("audit events stayed unsealed")
