"""Shared helpers for the extraction tests."""

from __future__ import annotations

from typing import Any

from resources.search.extract import extract
from resources.search.registry import default_registry
from resources.search.values import IndexValue


def values_of(resource: dict[str, Any], code: str) -> list[IndexValue]:
    """The extracted values of parameter ``code`` for the resource's own type."""
    param = default_registry().get(resource["resourceType"], code)
    assert param is not None, code
    return extract(resource, param)
