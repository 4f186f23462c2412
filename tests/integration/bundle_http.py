"""Helpers for the transaction and batch tests: posting Bundles, reading their answers."""

from __future__ import annotations

from typing import Any

import httpx

Entry = dict[str, Any]


def bundle(kind: str, entries: list[Entry]) -> dict[str, Any]:
    """A transaction or batch Bundle of ``entries``."""
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def post_entry(resource: dict[str, Any], full_url: str | None = None, **request: str) -> Entry:
    """A POST entry creating ``resource``."""
    entry: Entry = {
        "resource": resource,
        "request": {"method": "POST", "url": resource["resourceType"], **request},
    }
    if full_url is not None:
        entry["fullUrl"] = full_url
    return entry


def request_entry(method: str, url: str, resource: dict[str, Any] | None = None) -> Entry:
    """An entry with ``method`` and ``url`` (and a resource for PUT or PATCH)."""
    entry: Entry = {"request": {"method": method, "url": url}}
    if resource is not None:
        entry["resource"] = resource
    return entry


def put_entry(resource: dict[str, Any]) -> Entry:
    """A PUT entry writing ``resource`` to its id."""
    return request_entry("PUT", f"{resource['resourceType']}/{resource['id']}", resource)


AUDIT_EVENT: dict[str, Any] = {
    "resourceType": "AuditEvent",
    "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "x"},
    "recorded": "2026-01-01T00:00:00Z",
    "agent": [{"who": {"display": "nobody"}, "requestor": True}],
    "source": {"observer": {"display": "elsewhere"}},
}
"""A valid AuditEvent, which no client may write (the trail is the server's own)."""


def post_bundle(
    client: httpx.Client, body: dict[str, Any], status: int = 200, **headers: str
) -> dict[str, Any]:
    """POST a Bundle to the base, insist on ``status``, return the answer."""
    response = client.post("", json=body, headers=headers)
    assert response.status_code == status, response.text
    answer: dict[str, Any] = response.json()
    return answer


def statuses(answer: dict[str, Any]) -> list[str]:
    """Each response entry's status."""
    return [entry["response"]["status"] for entry in answer["entry"]]


def reference_of(entry: Entry) -> str:
    """``Type/id`` of a response entry's location."""
    location: str = entry["response"]["location"]
    parts = location.split("/_history/")[0].split("/")
    return f"{parts[-2]}/{parts[-1]}"
