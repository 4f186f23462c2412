"""Tokenising and normalising free food and drug text.

Every term in the knowledge bases and every text checked against them goes through the same
steps, so a term matches whatever spelling the steps make equal: lowercase, accents stripped
(``crème fraîche`` = ``creme fraiche``), apostrophes dropped (``cow's milk`` = ``cows milk``),
any other punctuation a word break (``half-and-half`` = ``half and half``) and a simple
plural-to-singular rule (``eggs`` = ``egg``, ``anchovies`` = ``anchovy``). The singular rule
need not be good English: it only has to map a word and its plural to the same key.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

# A word: letters and digits, with apostrophes inside (cow's, St John's).
_WORD = re.compile(r"[^\W_]+(?:['\u2019\u02bc`\u00b4][^\W_]+)*")
_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc`\u00b4")
_LIGATURES = str.maketrans({"\u0153": "oe", "\u00e6": "ae", "\u00df": "ss", "\u0131": "i"})
# Endings that look plural but are not (hummus, couscous, swiss, asparagus), and a few words.
_NOT_PLURAL = ("ss", "us")
_SINGULAR_WORDS = frozenset({"anis", "cassis", "pastis", "chassis", "this", "his", "was", "has"})


@dataclass(frozen=True)
class Token:
    """One word of a text: its key for matching and where it stands in the original."""

    key: str
    start: int
    end: int


def fold(text: str) -> str:
    """Lowercase, strip accents and ligatures, drop apostrophes."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_LIGATURES))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.translate(_APOSTROPHES)


def singular(word: str) -> str:
    """A crude singular that maps a word and its regular plural to one key.

    ``-ie`` words share the key of their ``-ies`` plural (cookie, cookies -> cooky).
    """
    if len(word) <= 3 or word in _SINGULAR_WORDS or word.isdigit():
        return word
    if word.endswith("s"):
        word = _strip_plural(word)
    if word.endswith("ie") and len(word) >= 4:
        return word[:-2] + "y"
    return word


def _strip_plural(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes", "oes", "uses")):
        return word[:-2]
    if word.endswith(_NOT_PLURAL):
        return word
    return word[:-1]


def tokenise(text: str) -> list[Token]:
    """The words of ``text`` as match keys, with their character spans in ``text``."""
    return list(_tokens(text))


@functools.lru_cache(maxsize=8192)
def _tokens(text: str) -> tuple[Token, ...]:
    # Cached: one check reads the same food text through several matchers (food groups,
    # allergens, cross-reactivity, spelling), each of which tokenises it.
    tokens: list[Token] = []
    for found in _WORD.finditer(text):
        for part in fold(found.group()).split():
            key = singular(part)
            if key:
                tokens.append(Token(key, found.start(), found.end()))
    return tuple(tokens)


def normalise_term(term: str) -> tuple[str, ...]:
    """The key sequence of a knowledge-base term, comparable with ``tokenise`` keys."""
    return tuple(token.key for token in tokenise(term))
