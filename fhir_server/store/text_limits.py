"""The longest text an index column holds, applied alike when writing and when searching.

A btree entry must fit in about a third of a page (2704 bytes); two text columns share one
entry in the token lookup index, so each value keeps at most ``MAX_INDEXED_BYTES`` of UTF-8.
Searches clip their values the same way, so a value longer than that still matches itself
(and, rarely, another that shares its first ``MAX_INDEXED_BYTES``).
"""

from __future__ import annotations

from typing import overload

MAX_INDEXED_BYTES = 1000


@overload
def clip(text: str) -> str: ...
@overload
def clip(text: None) -> None: ...
@overload
def clip(text: str | None) -> str | None: ...
def clip(text: str | None) -> str | None:
    """``text`` cut to ``MAX_INDEXED_BYTES`` of UTF-8, at a character boundary."""
    if text is None or len(text) * 4 <= MAX_INDEXED_BYTES:
        return text
    data = text.encode("utf-8")
    if len(data) <= MAX_INDEXED_BYTES:
        return text
    return data[:MAX_INDEXED_BYTES].decode("utf-8", "ignore")
