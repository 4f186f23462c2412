"""An independent full-text evaluator for ``_text`` and ``_content`` (no tests here).

Written from this server's documented rule (README, ``docs/search-parameters.md``), not from
its code: a text's words are its runs of letters and digits, lowercased with accents removed;
``_text`` is the narrative's text (XHTML read by the standard library's HTML parser, element
boundaries separating words), ``_content`` every string value of the resource, the narrative
as its text, base64 ``data`` left out. A search value matches when all its words occur.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

Resource = dict[str, Any]


def fold_words(text: str) -> list[str]:
    """The words of ``text``: maximal runs of letters and digits, folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    found, current = [], ""
    for char in folded:
        if char.isalnum():
            current += char
        elif current:
            found.append(current)
            current = ""
    return [*found, current] if current else found


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)


def xhtml_text(div: str) -> str:
    """The character data of an XHTML fragment, one space between elements' texts."""
    parser = _Text()
    parser.feed(div)
    parser.close()
    return " ".join(parser.chunks)


def narrative_words(resource: Resource) -> set[str]:
    """The words of the resource's narrative (``_text``)."""
    div = resource.get("text", {}).get("div")
    return set(fold_words(xhtml_text(div))) if isinstance(div, str) else set()


def _strings(node: Any, parent: str | None, key: str | None) -> Iterator[str]:
    if isinstance(node, str):
        yield xhtml_text(node) if (parent, key) == ("text", "div") else node
    elif isinstance(node, dict):
        for name, value in node.items():
            if name != "data":
                yield from _strings(value, key, name)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, parent, key)


def content_words(resource: Resource) -> set[str]:
    """The words of every string value of the resource (``_content``)."""
    return {word for text in _strings(resource, None, None) for word in fold_words(text)}


def matches(have: set[str], value: str) -> bool:
    """One search value matches a resource whose words are ``have``."""
    return set(fold_words(value)) <= have
