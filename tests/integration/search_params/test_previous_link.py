"""The ``previous`` link of search pages (https://hl7.org/fhir/R4/http.html#paging): walking
back from the last page gives the same pages as walking forward, in the same order, under
ascending and descending sorts with missing values, and the first page has no ``previous``."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration

VALUES = [5, None, 3, 8, 3, None, 1, 9, 5, 2, None, 7, 4]


def _links(bundle: dict[str, Any]) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in bundle.get("link", [])}


def _page_ids(bundle: dict[str, Any]) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]


def _observations(client: httpx.Client, code: str) -> None:
    for value in VALUES:
        body: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"coding": [{"system": "http://example.org/test", "code": code}]},
        }
        if value is not None:
            body["valueQuantity"] = {"value": value, "unit": "mg"}
        assert client.post("/Observation", json=body).status_code == 201


@pytest.mark.parametrize("sort", ["value-quantity", "-value-quantity", "_id", "-_lastUpdated"])
def test_previous_pages_mirror_next_pages(client: httpx.Client, sort: str) -> None:
    code = uuid.uuid4().hex
    _observations(client, code)
    params = {"code": f"http://example.org/test|{code}", "_sort": sort, "_count": "4"}
    bundle = client.get("/Observation", params=params).json()
    assert "previous" not in _links(bundle)
    forward = [_page_ids(bundle)]
    while "next" in _links(bundle):
        bundle = client.get(_links(bundle)["next"]).json()
        forward.append(_page_ids(bundle))
    assert sum(len(page) for page in forward) == len(VALUES)
    assert len({i for page in forward for i in page}) == len(VALUES)

    backward = [_page_ids(bundle)]
    while "previous" in _links(bundle):
        bundle = client.get(_links(bundle)["previous"]).json()
        backward.append(_page_ids(bundle))
        assert "next" in _links(bundle)
    assert backward[::-1] == forward
