"""Full-text search words: ``_text`` (the narrative) and ``_content`` (every string value).

https://hl7.org/fhir/R4/search.html#text leaves the matching to the server; this server does
word search. A text is split into words the way string search normalises (``normalise``:
lowercase, accents removed), a word being a run of letters and digits. A search value matches
a resource when every one of its words is among the resource's words.

``_text`` reads ``text.div`` (XHTML: tags dropped, entities decoded). ``_content`` reads every
string value of the resource, the narrative included (as for ``_text``); numbers and booleans
are not text, and base64 ``data`` (Attachment, Binary) holds no words, so neither is read.
A resource gives at most ``MAX_WORDS`` distinct words per parameter (the first ones in
document order) and a word keeps its first ``MAX_WORD_CHARS`` characters, on writes and
searches alike, so a huge resource cannot blow up a write.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping

from resources import error_codes
from resources.errors import Invalid
from resources.search.strings import normalise
from resources.search.values import WordsValue

TEXT = "_text"
CONTENT = "_content"
FULLTEXT_CODES = frozenset({TEXT, CONTENT})
MAX_WORDS = 1000
"""Distinct words kept per resource and parameter (a typical resource has under 200)."""
MAX_WORD_CHARS = 64
"""Longer runs (hashes, tokens, encoded data) are cut to this length, searches too."""
MAX_SEARCH_WORDS = 32
"""Words one search value may hold (each is one more array element to look up)."""
SKIPPED_KEYS = frozenset({"data"})
"""base64Binary elements (``Attachment.data``, ``Binary.data``): no words, only bulk."""

_WORD = re.compile(r"[^\W_]+")
_TAG = re.compile(r"<[^>]*>")


def words(text: str) -> list[str]:
    """The normalised words of ``text``, in order, repeats kept."""
    return [word[:MAX_WORD_CHARS] for word in _WORD.findall(normalise(text))]


def search_words(name: str, value: str) -> tuple[str, ...]:
    """The distinct words of one search value of parameter ``name``; a 400 for none or too
    many."""
    found = tuple(dict.fromkeys(words(value)))
    if not found:
        raise Invalid(
            f"Search parameter '{name}': '{value}' has no word (letters or digits) to search for",
            error_codes.FULLTEXT_NO_WORDS,
        )
    if len(found) > MAX_SEARCH_WORDS:
        raise Invalid(
            f"Search parameter '{name}': a value holds at most {MAX_SEARCH_WORDS} words",
            error_codes.FULLTEXT_TOO_MANY_WORDS,
        )
    return found


def narrative_text(div: str) -> str:
    """The text of an XHTML narrative: tags become spaces, entities their characters."""
    return html.unescape(_TAG.sub(" ", div))


def fulltext_values(resource: Mapping[str, object], code: str) -> list[WordsValue]:
    """The index value of ``_text`` or ``_content`` for ``resource`` (none without words)."""
    texts = _narrative(resource) if code == TEXT else _strings(resource, ())
    found: dict[str, None] = {}
    for text in texts:
        for word in words(text):
            found[word] = None
            if len(found) >= MAX_WORDS:
                return [WordsValue(tuple(found))]
    return [WordsValue(tuple(found))] if found else []


def _narrative(resource: Mapping[str, object]) -> Iterator[str]:
    text = resource.get("text")
    if isinstance(text, Mapping) and isinstance(text.get("div"), str):
        yield narrative_text(text["div"])


def _strings(value: object, path: tuple[str, ...]) -> Iterator[str]:
    """Every string value under ``value``; the narrative ``div`` as its text."""
    if isinstance(value, str):
        yield narrative_text(value) if path[-2:] == ("text", "div") else value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key not in SKIPPED_KEYS:
                yield from _strings(item, (*path[-1:], key))
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, path)
