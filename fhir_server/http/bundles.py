"""Bundles built around stored JSON without parsing it again (``orjson.Fragment``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson

from resources import error_codes
from resources.errors import Issue, operation_outcome
from resources.identity import etag, instant, new_id, now
from resources.stored import StoredVersion

UNKNOWN_PREFIX = "Unknown search parameter"
"""How the parser's warnings about unknown parameters begin."""
_STATUS = {"POST": "201 Created", "PUT": "200 OK", "PATCH": "200 OK", "DELETE": "204 No Content"}


def page_url(base: str, path: str, params: list[tuple[str, str]]) -> str:
    """An absolute URL under the FHIR base with encoded query parameters."""
    query = urlencode(params)
    return (f"{base}/{path}" if path else base) + (f"?{query}" if query else "")


def bundle(
    kind: str, entries: list[dict[str, Any]], links: dict[str, str], total: int | None
) -> dict[str, Any]:
    """A Bundle of ``kind`` with relation links."""
    value: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": new_id(),
        "meta": {"lastUpdated": instant(now())},
        "type": kind,
    }
    if total is not None:
        value["total"] = total
    value["link"] = [{"relation": rel, "url": url} for rel, url in links.items()]
    value["entry"] = entries
    return value


def history_entry(base: str, version: StoredVersion) -> dict[str, Any]:
    """A history entry: the version (absent when deleted), the request and its response."""
    entry: dict[str, Any] = {"fullUrl": f"{base}/{version.reference}"}
    if version.body is not None:
        entry["resource"] = orjson.Fragment(version.body)
    url = version.resource_type if version.method == "POST" else version.reference
    status = "201 Created" if version.version == 1 else _STATUS[version.method]
    entry["request"] = {"method": version.method, "url": url}
    entry["response"] = {
        "status": status,
        "etag": etag(version.version),
        "lastModified": instant(version.last_updated),
    }
    return entry


def search_entry(base: str, version: StoredVersion) -> dict[str, Any]:
    """A searchset match."""
    return {
        "fullUrl": f"{base}/{version.reference}",
        "resource": orjson.Fragment(version.body or b"{}"),
        "search": {"mode": "match"},
    }


def include_entry(base: str, version: StoredVersion) -> dict[str, Any]:
    """A resource included by ``_include`` or ``_revinclude``."""
    return {
        "fullUrl": f"{base}/{version.reference}",
        "resource": orjson.Fragment(version.body or b"{}"),
        "search": {"mode": "include"},
    }


def warning_outcome(warnings: tuple[str, ...]) -> dict[str, Any]:
    """An OperationOutcome with one warning per message.

    An unknown parameter carries NV-0024, anything else the search did not do NV-0030.
    """
    issues = [
        Issue(
            "warning",
            "not-supported",
            message,
            nv_code=error_codes.UNKNOWN_PARAMETER
            if message.startswith(UNKNOWN_PREFIX)
            else error_codes.SEARCH_NOT_SUPPORTED,
        )
        for message in warnings
    ]
    return operation_outcome(issues)


def outcome_entry(outcome: dict[str, Any]) -> dict[str, Any]:
    """A searchset entry carrying warnings about the search itself."""
    return {"resource": outcome, "search": {"mode": "outcome"}}
