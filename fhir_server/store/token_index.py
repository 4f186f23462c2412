"""Token index rows written with each version (for now: ``identifier``)."""

from __future__ import annotations

from typing import Any

TokenRow = tuple[str, str | None, str]
"""(param, system, code)"""


def identifier_tokens(resource: dict[str, Any]) -> list[TokenRow]:
    """The ``identifier`` tokens of a resource (Identifier or list of Identifier)."""
    value = resource.get("identifier")
    identifiers = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    return [
        ("identifier", item.get("system"), item["value"])
        for item in identifiers
        if isinstance(item, dict) and isinstance(item.get("value"), str)
    ]
