"""What ``Patient/$everything`` and ``Encounter/$everything`` share: one page of a compartment.

https://hl7.org/fhir/R4/patient-operation-everything.html

A page is the owner (first page only), then the compartment members as one keyset search over
every member type of the CompartmentDefinition (``InCompartment``, one SQL statement per page,
whatever the compartment holds), then what the page's members reference among
``referenced`` types (``_include`` machinery: one statement per type per page). Everything is
read through ``ctx.store``, the caller's view of the data.

``start``/``end`` filter on the care date (each type's ``date`` parameter); a member without
one is kept, as a record of care without a date cannot be placed outside the range.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import orjson

from operations.base import OperationContext
from operations.parameters import Parameters
from resources import error_codes
from resources.errors import Gone, Invalid, NotFound
from resources.identity import instant, new_id, now
from resources.search.parse import parse_search
from resources.search.query import AllOf, AnyOf, Include, Missing, SearchQuery
from resources.search.registry import SearchRegistry, default_registry
from resources.stored import StoredVersion
from smart_auth.policy import policy_for

DEFAULT_COUNT = 50
MAX_COUNT = 1000
CURSOR = "_cursor"
"""The paging parameter of the next links."""


def definition_parameters(owner: str) -> list[dict[str, Any]]:
    """The in- and out-parameters both operations declare."""
    return [
        {"name": "start", "use": "in", "min": 0, "max": "1", "type": "date"},
        {"name": "end", "use": "in", "min": 0, "max": "1", "type": "date"},
        {"name": "_since", "use": "in", "min": 0, "max": "1", "type": "instant"},
        {"name": "_type", "use": "in", "min": 0, "max": "*", "type": "string"},
        {"name": "_count", "use": "in", "min": 0, "max": "1", "type": "integer"},
        {
            "name": CURSOR,
            "use": "in",
            "min": 0,
            "max": "1",
            "type": "string",
            "documentation": f"Where the next page starts (from the Bundle's next link of {owner})",
        },
        {"name": "return", "use": "out", "min": 1, "max": "1", "type": "Bundle"},
    ]


@dataclass(frozen=True)
class Options:
    """The invocation's parameters, read once."""

    types: frozenset[str] | None
    since: str | None
    start: str | None
    end: str | None
    count: int
    cursor: str | None
    echo: tuple[tuple[str, str], ...] = field(default=())


def read_options(params: Parameters) -> Options:
    """Read and check ``_type``, ``_since``, ``start``, ``end``, ``_count`` and ``_cursor``."""
    named = [t.strip() for v in params.values("_type") for t in str(v).split(",") if t.strip()]
    count = int(params.value("_count", DEFAULT_COUNT))
    if count < 1:
        raise Invalid("_count must be at least 1", error_codes.EVERYTHING_BAD_PARAMETER)
    echo = [(e["name"], _text(e)) for e in params.entries if e.get("name") != CURSOR]
    return Options(
        types=frozenset(named) if named else None,
        since=params.value("_since"),
        start=params.value("start"),
        end=params.value("end"),
        count=min(count, MAX_COUNT),
        cursor=params.value(CURSOR),
        echo=tuple(echo),
    )


def _text(entry: dict[str, Any]) -> str:
    for key, value in entry.items():
        if key.startswith("value"):
            return str(value).lower() if isinstance(value, bool) else str(value)
    return ""


def registry_of(ctx: OperationContext) -> SearchRegistry:
    """The search registry the server offers, else the built-in one."""
    registry = ctx.services.get("registry")
    return registry if isinstance(registry, SearchRegistry) else default_registry()


def member_types(registry: SearchRegistry, owner: str, wanted: frozenset[str] | None) -> list[str]:
    """The compartment's member types linked through a reference, those in ``_type`` only."""
    members = registry.compartments.get(owner, {})
    linked = [t for t, codes in members.items() if _linked(registry, t, codes)]
    return sorted(t for t in linked if wanted is None or t in wanted)


def searchable(
    ctx: OperationContext, registry: SearchRegistry, types: Sequence[str], opts: Options
) -> list[str]:
    """The types the caller's scopes let it search, when ``_type`` named none: "everything"
    is everything the caller may see (a ``_type`` naming a type out of scope stays a 403)."""
    if ctx.access is None or opts.types is not None:
        return list(types)
    policy = policy_for(ctx.access, registry)
    return [t for t in types if policy.allows("s", t)]


def _linked(registry: SearchRegistry, resource_type: str, codes: Sequence[str]) -> bool:
    params = (registry.get(resource_type, code) for code in codes)
    return any(p is not None and p.type == "reference" for p in params)


def _care_dates(registry: SearchRegistry, opts: Options) -> AnyOf | None:
    """Members whose ``date`` falls in [start, end], or that have no ``date`` at all."""
    bounds = [("date", f"ge{opts.start}")] if opts.start else []
    bounds += [("date", f"le{opts.end}")] if opts.end else []
    if not bounds:
        return None
    dated = parse_search(("Observation",), bounds, registry, strict=True).where
    param = registry.get("Observation", "date")
    if param is None:  # the built-in registry always has it
        return None
    return AnyOf((dated, Missing(param, missing=True)))


def member_query(
    registry: SearchRegistry, owner: tuple[str, str], types: list[str], opts: Options, count: int
) -> SearchQuery:
    """The keyset search for the members, with the referenced types as includes."""
    params = [("_count", str(count))]
    if opts.since:
        params.append(("_lastUpdated", f"ge{opts.since}"))
    query = parse_search(
        tuple(types), params, registry, strict=True, max_count=MAX_COUNT, compartment=owner
    )
    dates = _care_dates(registry, opts)
    if dates is not None:
        query = replace(query, where=AllOf((*query.where.items, dates)))
    return query


def with_includes(query: SearchQuery, referenced: Sequence[str], opts: Options) -> SearchQuery:
    """``query`` including what its matches reference among ``referenced`` (in ``_type``)."""
    targets = [t for t in referenced if opts.types is None or t in opts.types]
    includes = tuple(Include("*", None, t, reverse=False, iterate=False) for t in targets)
    return replace(query, includes=includes)


async def read_owner(ctx: OperationContext, owner: tuple[str, str]) -> StoredVersion:
    """The compartment's owner, as the caller may see it."""
    found = await ctx.store.read(*owner)
    if found is None:
        raise NotFound(f"{owner[0]}/{owner[1]} is not known", error_codes.RESOURCE_NOT_FOUND)
    if found.deleted or found.body is None:
        raise Gone(f"{owner[0]}/{owner[1]} was deleted", error_codes.RESOURCE_GONE)
    return found


def since_ok(version: StoredVersion, since: str | None) -> bool:
    """True when ``version`` changed at or after ``_since`` (or there is none)."""
    if since is None:
        return True
    return version.last_updated >= since_instant(since)


def since_instant(value: str) -> datetime:
    """A ``_since`` value as a timezone-aware datetime; ``Invalid`` otherwise."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise Invalid(
            f"_since must be an instant with a time zone, not {value!r}",
            error_codes.EVERYTHING_BAD_PARAMETER,
        )
    return parsed


def encode_cursor(state: list[Any]) -> str:
    """An opaque paging cursor for ``state``."""
    return base64.urlsafe_b64encode(orjson.dumps(state)).decode("ascii").rstrip("=")


def decode_cursor(raw: str) -> list[Any]:
    """The state of a cursor from ``encode_cursor``; ``Invalid`` when tampered with."""
    try:
        state = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError):
        state = None
    if not isinstance(state, list):
        raise Invalid("The paging cursor is not valid", error_codes.EVERYTHING_BAD_CURSOR)
    return state


def entry(base: str, version: StoredVersion, mode: str) -> dict[str, Any]:
    """A searchset entry around the stored JSON (not parsed again)."""
    return {
        "fullUrl": f"{base}/{version.reference}",
        "resource": orjson.Fragment(version.body or b"{}"),
        "search": {"mode": mode},
    }


def searchset(
    base: str, path: str, opts: Options, entries: list[dict[str, Any]], cursor: str | None
) -> dict[str, Any]:
    """The page as a searchset Bundle with self and (when more follows) next links."""
    echo = list(opts.echo)
    self_params = echo + ([(CURSOR, opts.cursor)] if opts.cursor else [])
    links = [{"relation": "self", "url": _url(base, path, self_params)}]
    if cursor is not None:
        links.append({"relation": "next", "url": _url(base, path, [*echo, (CURSOR, cursor)])})
    return {
        "resourceType": "Bundle",
        "id": new_id(),
        "meta": {"lastUpdated": instant(now())},
        "type": "searchset",
        "link": links,
        "entry": entries,
    }


def _url(base: str, path: str, params: list[tuple[str, str]]) -> str:
    query = urlencode(params)
    return f"{base}/{path}" + (f"?{query}" if query else "")


@dataclass
class Page:
    """Entries gathered for one Bundle, and how many are matches (``_count`` counts those)."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    matches: int = 0
    seen: set[str] = field(default_factory=set)

    def add(self, base: str, versions: Sequence[StoredVersion], mode: str) -> None:
        """Append ``versions`` as entries of ``mode``, each resource once per Bundle (a
        resource in two patients' compartments, or referenced by both, is not repeated)."""
        for version in versions:
            if version.reference not in self.seen:
                self.seen.add(version.reference)
                self.entries.append(entry(base, version, mode))
                self.matches += mode == "match"


async def _owner_references(
    ctx: OperationContext,
    registry: SearchRegistry,
    owner: tuple[str, str],
    referenced: Sequence[str],
    opts: Options,
    page: Page,
) -> None:
    """What the owner itself references among ``referenced`` (a patient's managing
    organization, general practitioner; an encounter's patient and location)."""
    query = parse_search((owner[0],), [("_id", owner[1])], registry, strict=True)
    found = await ctx.store.search(with_includes(query, referenced, opts), None, ctx.base_url)
    page.add(ctx.base_url, found.included, "include")


async def compartment_page(
    ctx: OperationContext,
    owner: tuple[str, str],
    referenced: Sequence[str],
    opts: Options,
    inner: str | None,
    page: Page,
) -> str | None:
    """Add the next members of ``owner``'s compartment to ``page`` until it holds ``_count``
    matches. ``inner`` is None to start with the owner, "" for the first members, else the
    store's cursor; returns where to go on, or None when the compartment is done."""
    registry = registry_of(ctx)
    referenced = searchable(ctx, registry, referenced, opts)
    if inner is None:
        version = await read_owner(ctx, owner)
        if (opts.types is None or owner[0] in opts.types) and since_ok(version, opts.since):
            page.add(ctx.base_url, [version], "match")
        await _owner_references(ctx, registry, owner, referenced, opts, page)
        inner = ""
    types = searchable(ctx, registry, member_types(registry, owner[0], opts.types), opts)
    if not types:
        return None
    room = opts.count - page.matches
    if room <= 0:
        return inner
    query = with_includes(member_query(registry, owner, types, opts, room), referenced, opts)
    found = await ctx.store.search(query, inner or None, ctx.base_url)
    page.add(ctx.base_url, found.matches, "match")
    page.add(ctx.base_url, found.included, "include")
    return found.next_cursor
