"""Full-text search words: ``_text`` (the narrative) and ``_content`` (every string value).

https://hl7.org/fhir/R4/search.html#text leaves the matching to the server; this server does
word search. A text is split into words the way string search normalises (``normalise``:
lowercase, accents removed), a word being a run of letters and digits. A search value matches
a resource when every one of its words is among the resource's words.

``_text`` reads ``text.div`` (XHTML: tags dropped, entities decoded). ``_content`` reads every
string value of the resource, the narrative included (as for ``_text``); numbers and booleans
are not text, and base64 ``data`` (Attachment, Binary) holds no words, so neither is read.
A resource gives at most ``MAX_WORDS`` distinct words per parameter (the first ones in
document order) and a run longer than ``MAX_WORD_CHARS`` characters is several words, on writes
and searches alike, so a huge resource cannot blow up a write.
"""

from __future__ import annotations

import functools
import html
import re
import sys
import unicodedata
from collections.abc import Iterator, Mapping

from resources import error_codes
from resources.errors import Invalid
from resources.search.values import WordsValue

TEXT = "_text"
CONTENT = "_content"
FULLTEXT_CODES = frozenset({TEXT, CONTENT})
MAX_WORDS = 1000
"""Distinct words kept per resource and parameter (a typical resource has under 200)."""
MAX_WORD_CHARS = 64
"""A longer run (a hash, an encoded value) counts as several words of this length, in
searches too: a search for it needs them all."""
MAX_SEARCH_WORDS = 32
"""Words one search value may hold (each is one more array element to look up)."""
SKIPPED_KEYS = frozenset({"data"})
"""base64Binary elements (``Attachment.data``, ``Binary.data``): no words, only bulk."""

_WORD = re.compile(r"[^\W_]+")
_ASCII_SEPARATORS = str.maketrans({c: " " for c in range(128) if not chr(c).isalnum()})
_CHUNK_CHARS = 1 << 16
"""Texts are folded and split this many characters at a time, so that a huge resource stops
being read once it has given ``MAX_WORDS`` words."""
_TAG = re.compile(r"<[^>]*>")


@functools.cache
def _combining() -> dict[int, None]:
    """Every combining character, to drop with ``str.translate`` (built once, in 0.1 s)."""
    return {c: None for c in range(sys.maxunicode + 1) if unicodedata.combining(chr(c))}


def fold(text: str) -> str:
    """``normalise`` (lowercase, accents removed), as one ``lower`` for ASCII text and
    C-level passes otherwise: every write folds the whole resource."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKD", text).translate(_combining()).lower()


def words(text: str) -> list[str]:
    """The normalised words of ``text``, in order, repeats kept; a run longer than
    ``MAX_WORD_CHARS`` as pieces of that length. ASCII text (the usual case once folded) is
    split by ``translate`` and ``split``, several times faster than the regular expression."""
    folded = fold(text)
    if folded.isascii():
        found = folded.translate(_ASCII_SEPARATORS).split()
    else:
        found = _WORD.findall(folded)
    if found and max(map(len, found)) > MAX_WORD_CHARS:
        size = MAX_WORD_CHARS
        return [w[at : at + size] for w in found for at in range(0, len(w), size)]
    return found


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
    texts: list[str] = []
    if code == TEXT:
        text = resource.get("text")
        if isinstance(text, dict) and isinstance(text.get("div"), str):
            texts.append(narrative_text(text["div"]))
    else:
        _strings(resource, texts, narrative=False)
        # a text met again adds no word, nor changes the first-seen order: split each once
        texts = list(dict.fromkeys(texts))
    found: dict[str, None] = {}
    for chunk in _chunks(texts):
        found.update(dict.fromkeys(words(chunk)))
        if len(found) >= MAX_WORDS:
            return [WordsValue(tuple(found)[:MAX_WORDS])]
    return [WordsValue(tuple(found))] if found else []


def _chunks(texts: list[str]) -> Iterator[str]:
    """The texts joined by newlines (a word never spans two) in pieces of ``_CHUNK_CHARS``."""
    start, size = 0, 0
    for end, text in enumerate(texts, 1):
        size += len(text) + 1
        if size >= _CHUNK_CHARS:
            yield "\n".join(texts[start:end])
            start, size = end, 0
    if start < len(texts):
        yield "\n".join(texts[start:])


def _strings(value: object, out: list[str], *, narrative: bool) -> None:
    """Every string value under ``value`` into ``out``; a narrative ``div`` as its text
    (``narrative``: ``value`` is the element under a ``text`` key). Written for speed: every
    write runs it over the whole resource (exact type checks first, the usual JSON types)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SKIPPED_KEYS:
                continue
            kind = type(item)
            if kind is str or (kind is not dict and kind is not list and isinstance(item, str)):
                out.append(narrative_text(item) if narrative and key == "div" else item)
            elif kind is dict or kind is list or isinstance(item, dict | list):
                _strings(item, out, narrative=key == "text")
    elif isinstance(value, list):
        for item in value:
            kind = type(item)
            if kind is str or (kind is not dict and kind is not list and isinstance(item, str)):
                out.append(item)
            elif kind is dict or kind is list or isinstance(item, dict | list):
                _strings(item, out, narrative=False)
