"""The entries of a transaction or batch Bundle, parsed and checked before anything runs.

https://hl7.org/fhir/R4/http.html#transaction

A Bundle whose type is not transaction or batch, an entry without ``request``, a bad
``request.url`` or a repeated fullUrl is refused as a whole (400) naming the entry; more
than ``NUTRIVISION_MAX_BUNDLE_ENTRIES`` entries are a 413 before any entry is looked at.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

from resources import error_codes
from resources.errors import FhirError, Invalid, NotFound, PayloadTooLarge
from resources.identity import check_id, parse_etag
from resources.model import is_served_type

Verb = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
VERBS: tuple[Verb, ...] = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
BUNDLE_TYPES = ("transaction", "batch")
PROCESSING_ORDER: dict[str, int] = {
    "DELETE": 0,
    "POST": 1,
    "PUT": 2,
    "PATCH": 2,
    "GET": 3,
    "HEAD": 3,
}
"""Transaction processing order (R4 3.1.0.11.2): deletes, creates, updates, then reads."""


@dataclass
class Entry:
    """One request of the Bundle, its ``request.url`` split into type, id, version, query."""

    index: int
    full_url: str | None
    method: Verb
    resource_type: str
    id_: str | None
    version: int | None
    query: list[tuple[str, str]] | None
    resource: dict[str, Any] | None
    if_match: int | None
    if_none_exist: str | None
    if_none_match: str | None = None
    if_modified_since: str | None = None

    @property
    def where(self) -> str:
        """The entry as a FHIRPath expression."""
        return f"Bundle.entry[{self.index}]"


def at_entry(entry: Entry | int, full_url: str | None, error: FhirError) -> FhirError:
    """``error`` renamed to the entry it happened in: index, fullUrl, expression."""
    where = entry.where if isinstance(entry, Entry) else f"Bundle.entry[{entry}]"
    named = f"{where} ({full_url})" if full_url else where
    inner = tuple(f"{where}.resource.{path}" for path in error.expression)
    return dataclasses.replace(
        error, message=f"{named}: {error.message}", expression=(where, *inner)
    )


def check_bundle(body: Any, max_entries: int) -> tuple[str, list[Any]]:
    """The Bundle's type and raw entries; 413 when there are too many, 400 when not a
    transaction or batch."""
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise Invalid("POST [base] takes a Bundle", error_codes.BUNDLE_INVALID, ("resourceType",))
    entries = body.get("entry", [])
    if not isinstance(entries, list):
        raise Invalid("Bundle.entry is not a list", error_codes.BUNDLE_INVALID, ("entry",))
    if len(entries) > max_entries:
        raise PayloadTooLarge(
            f"The Bundle has {len(entries)} entries; at most {max_entries} are accepted",
            error_codes.BUNDLE_TOO_MANY_ENTRIES,
        )
    kind = body.get("type")
    if kind not in BUNDLE_TYPES:
        raise Invalid(
            f"Bundle.type {kind!r} cannot be processed: only transaction or batch",
            error_codes.BUNDLE_INVALID,
            ("type",),
        )
    return str(kind), entries


def parse_entries(raw: list[Any], base: str) -> list[Entry]:
    """Every entry parsed; a repeated fullUrl is refused."""
    entries: list[Entry] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        full_url = item.get("fullUrl") if isinstance(item, dict) else None
        full_url = full_url if isinstance(full_url, str) else None
        try:
            entry = _parse_entry(index, item, full_url, base)
        except FhirError as error:
            raise at_entry(index, full_url, error) from None
        if full_url is not None:
            if full_url in seen:
                raise at_entry(
                    index,
                    full_url,
                    Invalid("fullUrl is repeated", error_codes.BUNDLE_DUPLICATE_FULL_URL),
                )
            seen.add(full_url)
        entries.append(entry)
    return entries


def _bad(message: str) -> Invalid:
    return Invalid(message, error_codes.BUNDLE_ENTRY_INVALID)


def _parse_entry(index: int, item: Any, full_url: str | None, base: str) -> Entry:
    if not isinstance(item, dict):
        raise _bad("The entry is not an object")
    request = item.get("request")
    if not isinstance(request, dict):
        raise _bad("The entry has no request")
    method, url = request.get("method"), request.get("url")
    if method not in VERBS or not isinstance(url, str) or not url:
        raise _bad("request needs a method (GET, HEAD, POST, PUT, PATCH, DELETE) and a url")
    resource = item.get("resource")
    if resource is not None and not (
        isinstance(resource, dict) and isinstance(resource.get("resourceType"), str)
    ):
        raise _bad("The entry's resource is not a FHIR resource")
    if method in ("POST", "PUT", "PATCH") and resource is None:
        raise _bad(f"A {method} entry needs a resource")
    resource_type, id_, version, query = _split_url(url, base)
    if_match = request.get("ifMatch")
    if_none_exist = request.get("ifNoneExist")
    return Entry(
        index=index,
        full_url=full_url,
        method=method,
        resource_type=resource_type,
        id_=id_,
        version=version,
        query=query,
        resource=resource,
        if_match=parse_etag(if_match) if isinstance(if_match, str) else None,
        if_none_exist=if_none_exist if isinstance(if_none_exist, str) else None,
        if_none_match=_text(request.get("ifNoneMatch")),
        if_modified_since=_text(request.get("ifModifiedSince")),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _split_url(
    url: str, base: str
) -> tuple[str, str | None, int | None, list[tuple[str, str]] | None]:
    """``Type``, ``Type/id``, ``Type/id/_history/vid`` or ``Type?query``, relative or under
    this server's base."""
    if url.startswith(base + "/"):
        url = url[len(base) + 1 :]
    path, question, raw_query = url.partition("?")
    query = parse_qsl(raw_query, keep_blank_values=True) if question else None
    parts = path.strip("/").split("/")
    if not is_served_type(parts[0]):
        raise NotFound(f"Unknown resource type {parts[0]!r}", error_codes.UNKNOWN_RESOURCE_TYPE)
    if len(parts) == 1:
        return parts[0], None, None, query
    if query is None and len(parts) == 2:
        return parts[0], check_id(parts[1]), None, None
    if (
        query is None
        and len(parts) == 4
        and parts[2] == "_history"
        and parts[3].isdigit()
        and len(parts[3]) < 10
    ):
        return parts[0], check_id(parts[1]), int(parts[3]), None
    raise _bad(f"request.url {url!r} is not Type, Type/id, Type/id/_history/vid or Type?query")
