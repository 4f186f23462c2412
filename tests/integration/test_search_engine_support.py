"""Helpers for the search engine tests (no tests here).

Each test works on its own ``Batch``: every resource it creates carries a tag no other test
uses, and every search adds ``_tag`` for it, so tests never see each other's data. Expected
results are computed here in plain Python over the JSON the test created, from the
specification's text, independently of the server's code.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.integration.fhir_http import entries_of, link

Resource = dict[str, Any]
TAG_SYSTEM = "urn:nutrivision:test-batch"
EARLIEST = datetime(1, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)


@dataclass
class Batch:
    """Resources created by one test under one unique tag."""

    client: httpx.Client
    code: str = field(default_factory=lambda: uuid.uuid4().hex)
    created: list[Resource] = field(default_factory=list)

    @property
    def tag(self) -> str:
        """The ``_tag`` search value of this batch."""
        return f"{TAG_SYSTEM}|{self.code}"

    def create(self, resource: Resource) -> Resource:
        """POST ``resource`` with the batch tag; the stored resource."""
        meta = dict(resource.get("meta", {}))
        meta["tag"] = [*meta.get("tag", []), {"system": TAG_SYSTEM, "code": self.code}]
        response = self.client.post(f"/{resource['resourceType']}", json={**resource, "meta": meta})
        assert response.status_code == 201, response.text
        stored: Resource = response.json()
        self.created.append(stored)
        return stored

    def of_type(self, resource_type: str) -> list[Resource]:
        """The created resources of one type."""
        return [r for r in self.created if r["resourceType"] == resource_type]

    def bundle(self, path: str, params: Iterable[tuple[str, str]] = ()) -> dict[str, Any]:
        """One search Bundle (the first page) of ``path`` restricted to the batch."""
        response = self.client.get(f"/{path}", params=[*params, ("_tag", self.tag)])
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def ids(self, path: str, params: Iterable[tuple[str, str]] = ()) -> list[str]:
        """Match ids of every page of a search restricted to the batch, in order."""
        bundle = self.bundle(path, params)
        ids = match_ids(bundle)
        next_url = link(bundle, "next")
        while next_url is not None:
            response = self.client.get(next_url)
            assert response.status_code == 200, response.text
            ids += match_ids(response.json())
            next_url = link(response.json(), "next")
        return ids

    def expect(self, resource_type: str, keep: Callable[[Resource], bool]) -> list[str]:
        """Ids of the created resources of ``resource_type`` that ``keep`` accepts, sorted."""
        return sorted(r["id"] for r in self.of_type(resource_type) if keep(r))


def match_ids(bundle: dict[str, Any]) -> list[str]:
    """The ids of a Bundle's match entries, in order."""
    return [e["resource"]["id"] for e in entries_of(bundle, "match")]


def include_keys(bundle: dict[str, Any]) -> list[str]:
    """``Type/id`` of a Bundle's include entries, sorted."""
    resources = (e["resource"] for e in entries_of(bundle, "include"))
    return sorted(f"{r['resourceType']}/{r['id']}" for r in resources)


def fold(text: str) -> str:
    """Lowercase without accents: how the spec's default string search compares text."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


_DATE = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"(Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


def date_range(text: str) -> tuple[datetime, datetime]:
    """The half-open range ``[low, high)`` a FHIR date/dateTime/instant covers, in UTC
    (a time without a zone is read as UTC)."""
    found = _DATE.match(text)
    assert found, text
    year, month, day, hour, _minute, second, fraction, _zone = found.groups()
    if month is None:
        return datetime(int(year), 1, 1, tzinfo=UTC), datetime(int(year) + 1, 1, 1, tzinfo=UTC)
    if day is None:
        low = datetime(int(year), int(month), 1, tzinfo=UTC)
        months = int(year) * 12 + int(month)
        return low, datetime(months // 12, months % 12 + 1, 1, tzinfo=UTC)
    if hour is None:
        low = datetime(int(year), int(month), int(day), tzinfo=UTC)
        return low, low + timedelta(days=1)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    parsed = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    if second is None:
        step = timedelta(minutes=1)
    elif fraction:
        step = timedelta(microseconds=10 ** (6 - min(len(fraction), 6)))
    else:
        step = timedelta(seconds=1)
    return parsed, parsed + step


def date_prefix_matches(prefix: str, search: str, target: tuple[datetime, datetime]) -> bool:
    """The R4 prefix table (search.html#prefix) for a date search value against a range."""
    (sl, sh), (tl, th) = date_range(search), target
    contained = sl <= tl and th <= sh
    return {
        "eq": contained,
        "ne": not contained,
        "gt": th > sh,
        "lt": tl < sl,
        "ge": th > sh or contained,
        "le": tl < sl or contained,
        "sa": tl >= sh,
        "eb": th <= sl,
    }[prefix]
