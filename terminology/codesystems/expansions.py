"""Expansions of the shipped value sets, kept once computed (their content never changes);
other value sets are expanded on every call."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from terminology.codesystems.catalog import catalog
from terminology.codesystems.sources import Overlay
from terminology.codesystems.valuesets import Member, expand

_EXPANSIONS: dict[tuple[str, str | None, bool], list[Member]] = {}
"""Expansions of shipped value sets, by url, version and activeOnly."""


def members(
    value_set: Mapping[str, Any], sources: Overlay, active_only: bool = False
) -> list[Member]:
    """The expansion of ``value_set``; cached when it is a shipped one expanded from shipped
    content only (no stored resource in ``sources``)."""
    url = str(value_set.get("url", ""))
    shipped = catalog().value_set(url) if url else None
    cacheable = shipped is not None and shipped.get("compose") == value_set.get("compose")
    key = (url, value_set.get("version"), active_only)
    if cacheable and key in _EXPANSIONS:
        return _EXPANSIONS[key]
    found = expand(value_set, sources, active_only)
    if cacheable and not sources.code_systems and not sources.value_sets.keys() - {url}:
        _EXPANSIONS[key] = found
    return found
