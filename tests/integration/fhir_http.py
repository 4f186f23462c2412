"""Helpers for the REST tests: creating resources, checking OperationOutcomes, paging."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from resources.errors import ERROR_CODE_SYSTEM

NV_CODE = re.compile(r"NV-\d{4}")


def unique_system() -> str:
    """An identifier system no other test uses, so searches see only this test's data."""
    return f"urn:uuid:{uuid.uuid4()}"


def patient(**fields: Any) -> dict[str, Any]:
    """A Patient body with ``fields``."""
    return {"resourceType": "Patient", **fields}


def create(client: httpx.Client, resource: dict[str, Any]) -> dict[str, Any]:
    """POST a resource, insist on 201, return the stored resource."""
    response = client.post(f"/{resource['resourceType']}", json=resource)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def create_patient(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    """A new Patient on the server."""
    return create(client, patient(**fields))


def outcome_codes(body: dict[str, Any]) -> list[str]:
    """Every NV error code in an OperationOutcome's issues."""
    return [
        coding["code"]
        for issue in body.get("issue", [])
        for coding in issue.get("details", {}).get("coding", [])
        if coding.get("system") == ERROR_CODE_SYSTEM
    ]


def assert_outcome(response: httpx.Response, status: int, nv_code: str) -> dict[str, Any]:
    """The response is ``status`` with an OperationOutcome whose first issue carries ``nv_code``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"], body
    assert body["issue"][0]["severity"] in ("error", "fatal")
    codes = outcome_codes(body)
    assert codes, body
    assert codes[0] == nv_code, body
    assert all(NV_CODE.fullmatch(code) for code in codes)
    return body


def newest_version(client: httpx.Client) -> tuple[str, str] | None:
    """(fullUrl, ETag) of the newest version on the server, or None when history is empty.

    Any write adds a version, so an unchanged value proves that nothing was written.
    """
    response = client.get("/_history", params={"_count": "1"})
    assert response.status_code == 200, response.text
    entries = response.json()["entry"]
    if not entries:
        return None
    return entries[0]["fullUrl"], entries[0]["response"]["etag"]


def entries_of(bundle: dict[str, Any], mode: str | None = None) -> list[dict[str, Any]]:
    """A Bundle's entries, optionally only those of one ``search.mode``."""
    entries: list[dict[str, Any]] = bundle.get("entry", [])
    if mode is None:
        return entries
    return [e for e in entries if e.get("search", {}).get("mode") == mode]


def link(bundle: dict[str, Any], relation: str) -> str | None:
    """The URL of a Bundle link, or None."""
    for item in bundle.get("link", []):
        if item["relation"] == relation:
            url: str = item["url"]
            return url
    return None


def all_pages(client: httpx.Client, url: str, limit: int = 200) -> list[dict[str, Any]]:
    """Every Bundle from ``url`` following ``next`` links to the end (at most ``limit`` pages)."""
    pages: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url is not None:
        assert len(pages) < limit, "paging did not end"
        response = client.get(next_url)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        next_url = link(pages[-1], "next")
    return pages
