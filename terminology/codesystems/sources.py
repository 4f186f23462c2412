"""Where code systems, value sets and concept maps come from: the ``Sources`` protocol, and an
overlay that puts resources read from the server's store in front of another source."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from terminology.codesystems.concepts import CodeSystemIndex, index_from_resource

Json = Mapping[str, Any]


class Sources(Protocol):
    """Terminology content by canonical URL (``version`` None: the one known)."""

    def code_system(self, url: str, version: str | None = None) -> CodeSystemIndex | None:
        """The code system with this URL, indexed."""

    def value_set(self, url: str, version: str | None = None) -> Json | None:
        """The ValueSet resource with this URL."""

    def concept_maps(self) -> Iterable[Json]:
        """Every ConceptMap resource known."""


def split_canonical(url: str) -> tuple[str, str | None]:
    """``url|version`` -> (url, version)."""
    base, _, version = url.partition("|")
    return base, version or None


def version_matches(wanted: str | None, actual: str | None) -> bool:
    """No version asked for, or the same one."""
    return wanted is None or wanted == actual


@dataclass
class Overlay:
    """Resources found in the store, and ``fallback`` (the shipped content).

    For a canonical URL that is shipped, the shipped resource is used unless another version
    is asked for: the shipped code systems are complete and a stored fragment or an edited
    copy of the same URL must not hide them (nor cost a query on every request).
    """

    fallback: Sources
    code_systems: dict[str, list[Json]] = field(default_factory=dict)
    value_sets: dict[str, list[Json]] = field(default_factory=dict)
    maps: list[Json] = field(default_factory=list)
    _indexed: dict[tuple[str, str | None], CodeSystemIndex] = field(default_factory=dict)

    def add(self, resource: Json) -> None:
        """Make a CodeSystem, ValueSet or ConceptMap resource known."""
        kind = resource.get("resourceType")
        url = str(resource.get("url", ""))
        if kind == "CodeSystem":
            self.code_systems.setdefault(url, []).append(resource)
        elif kind == "ValueSet":
            self.value_sets.setdefault(url, []).append(resource)
        elif kind == "ConceptMap":
            self.maps.append(resource)

    def code_system(self, url: str, version: str | None = None) -> CodeSystemIndex | None:
        """A stored one of that version, else the fallback's, else any stored one."""
        shipped = self.fallback.code_system(url, version)
        stored = _pick(self.code_systems.get(url, []), version)
        if shipped is not None and (stored is None or version is None):
            return shipped
        if stored is None:
            return None
        key = (url, stored.get("version"))
        if key not in self._indexed:
            self._indexed[key] = index_from_resource(stored)
        return self._indexed[key]

    def value_set(self, url: str, version: str | None = None) -> Json | None:
        """Like ``code_system``: the shipped one unless another version is asked for."""
        shipped = self.fallback.value_set(url, version)
        stored = _pick(self.value_sets.get(url, []), version)
        if shipped is not None and (stored is None or version is None):
            return shipped
        return stored

    def concept_maps(self) -> Iterable[Json]:
        """Stored maps first, then the fallback's."""
        yield from self.maps
        yield from self.fallback.concept_maps()


def _pick(candidates: list[Json], version: str | None) -> Json | None:
    for resource in candidates:
        if version_matches(version, resource.get("version")):
            return resource
    return None


Fetch = Callable[[str, str], Awaitable[list[Json]]]
"""(resource type, canonical URL) -> the stored resources with that URL."""
_MAX_FETCHES = 50
"""Most canonical URLs one request resolves from the store (nested value set imports)."""


async def gather(fallback: Sources, fetch: Fetch, *resources: Json) -> Overlay:
    """``fallback`` with ``resources`` and every stored resource they refer to (value set
    imports and code systems, followed to a bounded number of fetches) in front."""
    sources = Overlay(fallback)
    for resource in resources:
        sources.add(resource)
    pending = [ref for resource in resources for ref in references(resource)]
    seen: set[tuple[str, str]] = set()
    while pending and len(seen) < _MAX_FETCHES:
        kind, url = pending.pop()
        if (kind, url) in seen:
            continue
        seen.add((kind, url))
        shipped = fallback.code_system(url) if kind == "CodeSystem" else fallback.value_set(url)
        if shipped is not None:
            continue  # a stored one of the same URL is only used for another version
        for found in await fetch(kind, url):
            sources.add(found)
            pending.extend(references(found))
    return sources


def references(resource: Json) -> list[tuple[str, str]]:
    """The (type, url) of what a ValueSet's compose names."""
    compose = resource.get("compose")
    if resource.get("resourceType") != "ValueSet" or not isinstance(compose, Mapping):
        return []
    found: list[tuple[str, str]] = []
    for part in [*compose.get("include", []), *compose.get("exclude", [])]:
        if isinstance(part.get("system"), str):
            found.append(("CodeSystem", part["system"]))
        found.extend(("ValueSet", split_canonical(str(url))[0]) for url in part.get("valueSet", []))
    return found
