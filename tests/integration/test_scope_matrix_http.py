"""The scope-enforcement matrix (``tests.scope_matrix``) over HTTP, through the real app.

Each interaction is the request a client sends; the answer maps to ``A`` (2xx with the target
in it), ``H`` (404, or the target absent from the Bundle) or ``D`` (403 with an
OperationOutcome and ``WWW-Authenticate: Bearer error="insufficient_scope"``). Every answer's
bytes are scanned for hidden resources. Tokens are real signed access tokens (``scope_server``).

The bulk rows (``tests.scope_matrix.BULK_INTERACTIONS``) run ``$everything`` and a whole
``$export`` (kick-off, polling, every NDJSON file downloaded), whose bytes are scanned too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest

from resources import error_codes
from tests.integration.bulk.conftest import wait_for
from tests.integration.scope_server import ScopedServer, scoped_client, scoped_url
from tests.integration.scope_world import World, world
from tests.scope_matrix import HIDDEN, HTTP_CASES, expected

pytestmark = pytest.mark.integration
__all__ = ["scoped_url", "world"]

Request = Callable[[httpx.Client, World, str], httpx.Response]
NOTE = [{"text": "checked"}]
UNREFERENCED = frozenset({"vital", "other"})


def _bundle(client: httpx.Client, path: str, params: list[tuple[str, str]]) -> httpx.Response:
    return client.get(path, params=tuple(params))


REQUESTS: dict[str, Request] = {
    "read": lambda c, w, t: c.get(f"Observation/{w.ids[t]}"),
    "vread": lambda c, w, t: c.get(f"Observation/{w.ids[t]}/_history/1"),
    "search": lambda c, w, t: _bundle(
        c, "Observation", [("_id", w.ids[t]), ("_total", "accurate")]
    ),
    "include": lambda c, w, t: _bundle(
        c,
        "Observation",
        [
            ("_id", f"{w.ids[t]},{w.ids['mixed']}"),
            ("_include", "Observation:subject"),
            ("_include", "Observation:performer"),
        ],
    ),
    "revinclude": lambda c, w, t: _bundle(
        c,
        "Patient",
        [
            ("_id", w.subject_of(t)),
            ("_revinclude", "Observation:subject"),
            ("_revinclude", "Observation:performer"),
        ],
    ),
    "history": lambda c, w, t: c.get(f"Observation/{w.ids[t]}/_history"),
    "type_history": lambda c, w, t: _bundle(
        c, "Observation/_history", [("_since", w.start.isoformat()), ("_count", "1000")]
    ),
    "create": lambda c, w, t: c.post("Observation", json=w.copy_of(t)),
    "update": lambda c, w, t: c.put(f"Observation/{w.ids[t]}", json={**w.bodies[t], "note": NOTE}),
    "patch": lambda c, w, t: c.patch(
        f"Observation/{w.ids[t]}",
        json=[{"op": "add", "path": "/note", "value": NOTE}],
        headers={"Content-Type": "application/json-patch+json"},
    ),
    "delete": lambda c, w, t: c.delete(f"Observation/{_fresh_copy(w, t)}"),
    "transaction": lambda c, w, t: c.post("", json=_transaction(w, t)),
    "everything": lambda c, w, t: c.get(
        f"Patient/{w.subject_of(t)}/$everything", params={"_count": "1000"}
    ),
}
ASYNC = {"Prefer": "respond-async"}


def _fresh_copy(world: World, target: str) -> str:
    created = world.run(world.raw.create("Observation", world.copy_of(target), None))
    return str(created.stored.id)


def _transaction(world: World, target: str) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"request": {"method": "GET", "url": f"Observation/{world.ids[target]}"}},
            {
                "fullUrl": "urn:uuid:0b0e7f5c-6c2e-4d8a-9a43-1d2c3b4a5f60",
                "resource": {"resourceType": "Observation", **world.copy_of(target)},
                "request": {"method": "POST", "url": "Observation"},
            },
        ],
    }


def _resources(body: dict[str, Any]) -> list[dict[str, Any]]:
    if body.get("resourceType") == "Bundle":
        found = [entry.get("resource") or {} for entry in body.get("entry", [])]
        nested = [r for item in found for r in _resources(item)]
        return found + nested
    return [body]


def _refused(response: httpx.Response) -> bool:
    if response.status_code != 403:
        return False
    codes = str(response.json())
    assert any(
        code in codes
        for code in (
            error_codes.SCOPE_INSUFFICIENT,
            error_codes.SCOPE_WRITE_OUTSIDE_ACCESS,
            error_codes.BULK_EXPORT_SCOPE,
        )
    ), codes
    assert response.headers["www-authenticate"] == 'Bearer error="insufficient_scope"'
    return True


def _outcome(response: httpx.Response, world: World, interaction: str, target: str) -> str:
    if _refused(response):
        return "D"
    if response.status_code == 404:
        return "H"
    assert response.status_code in (200, 201), response.text
    body = response.json()
    if body.get("resourceType") != "Bundle" or interaction == "transaction":
        return "A"
    ids = {resource.get("id") for resource in _resources(body)}
    return "A" if world.ids[target] in ids else "H"


def _check_no_leak(response: httpx.Response, world: World, token: str, target: str) -> None:
    # What the caller sent comes back as it was (the path in a 404's message, the query in a
    # Bundle's links): the scan is of everything else.
    text = response.text.replace(f"Observation/{world.ids[target]}", "")
    if response.headers.get("content-type", "").startswith("application/fhir+json"):
        body = response.json()
        if body.get("resourceType") == "Bundle":
            text = orjson.dumps(body.get("entry", [])).decode()
    hidden = HIDDEN[token]
    for role in hidden & UNREFERENCED:
        assert world.ids[role] not in text, (token, role)
    if response.headers.get("content-type", "").startswith("application/fhir+json"):
        keys = world.hidden_keys(hidden)
        shown = {(r.get("resourceType"), r.get("id")) for r in _resources(response.json())}
        assert not shown & keys, (token, shown & keys)


def _export(client: httpx.Client, world: World, token: str, target: str) -> str:
    """Run a whole Patient/$export naming the target; its outcome, once every byte the
    client received (manifest and NDJSON files) has been scanned for hidden resources."""
    patients = f"{world.ids['me']},{world.ids['other_patient']}"
    filters = [f"Observation?_id={world.ids[target]}", f"Patient?_id={patients}"]
    params = [("_type", "Observation,Patient"), *(("_typeFilter", f) for f in filters)]
    kick_off = client.get("Patient/$export", params=tuple(params), headers=ASYNC)
    if _refused(kick_off):
        return "D"
    assert kick_off.status_code == 202, kick_off.text
    status = wait_for(client, kick_off.headers["Content-Location"])
    assert status.status_code == 200, status.text
    manifest = status.json()
    assert manifest["requiresAccessToken"] is True
    # the manifest's request echoes the caller's own URL (the target's id): scan the rest
    texts = [orjson.dumps({k: v for k, v in manifest.items() if k != "request"}).decode()]
    lines: list[dict[str, Any]] = []
    for output in manifest["output"]:
        download = client.get(output["url"])
        assert download.status_code == 200, download.text
        texts.append(download.text)
        lines.extend(orjson.loads(line) for line in download.text.splitlines())
    _check_ndjson(world, token, "".join(texts), lines)
    shown = {line["id"] for line in lines if line["resourceType"] == "Observation"}
    return "A" if world.ids[target] in shown else "H"


def _check_ndjson(world: World, token: str, text: str, lines: list[dict[str, Any]]) -> None:
    hidden = HIDDEN[token]
    for role in hidden & UNREFERENCED:
        assert world.ids[role] not in text, (token, role)
    shown = {(line.get("resourceType"), line.get("id")) for line in lines}
    assert not shown & world.hidden_keys(hidden), (token, shown & world.hidden_keys(hidden))


@pytest.mark.parametrize(("token", "interaction", "target"), HTTP_CASES)
def test_matrix_over_http(
    scoped_url: ScopedServer, world: World, token: str, interaction: str, target: str
) -> None:
    with scoped_client(scoped_url, token) as client:
        if interaction == "export":
            outcome = _export(client, world, token, target)
        else:
            response = REQUESTS[interaction](client, world, target)
            outcome = _outcome(response, world, interaction, target)
            _check_no_leak(response, world, token, target)
    assert outcome == expected(token, interaction, target), f"{token} {interaction} {target}"
