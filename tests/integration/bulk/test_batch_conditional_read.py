"""Batch GET entries with ``request.ifNoneMatch`` / ``request.ifModifiedSince``: ``304`` when
the resource is unchanged, the resource otherwise (https://hl7.org/fhir/R4/bundle.html)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration


def batch(client: httpx.Client, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The response entries of a batch of GET requests."""
    body = {"resourceType": "Bundle", "type": "batch", "entry": [{"request": r} for r in requests]}
    response = client.post("/", json=body)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entry"]
    return entries


def test_conditional_reads_in_a_batch(bulk: httpx.Client) -> None:
    created = bulk.post("/Basic", json={"resourceType": "Basic", "code": {"text": "c"}}).json()
    url = f"Basic/{created['id']}"
    updated = created["meta"]["lastUpdated"]
    entries = batch(
        bulk,
        [
            {"method": "GET", "url": url, "ifNoneMatch": 'W/"1"'},
            {"method": "GET", "url": url, "ifNoneMatch": 'W/"2"'},
            {"method": "GET", "url": url, "ifModifiedSince": "2999-01-01T00:00:00Z"},
            {"method": "GET", "url": url, "ifModifiedSince": "2000-01-01T00:00:00Z"},
            {"method": "GET", "url": url, "ifModifiedSince": updated},
        ],
    )
    statuses = [e["response"]["status"].split()[0] for e in entries]
    assert statuses == ["304", "200", "304", "200", "304"]
    assert "resource" not in entries[0]
    assert entries[0]["response"]["etag"] == 'W/"1"'
    assert entries[1]["resource"]["id"] == created["id"]
