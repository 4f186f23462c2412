"""A longest-match index of multi-word terms over normalised tokens.

At each word of a text the longest term starting there wins and its words are consumed, so
``peanut butter`` is peanut (not peanut and milk), ``cocoa butter`` can be registered as a
blocking term that means nothing, and terms only ever match whole words: ``nut`` never
matches inside ``doughnut`` or ``nutmeg``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from terminology.textmatch.normalise import Token, normalise_term, tokenise

T = TypeVar("T")


@dataclass(frozen=True)
class Match(Generic[T]):
    """One term found in a text, with the payload registered for it."""

    payload: T
    term: str
    text: str
    start: int
    end: int
    first_token: int
    last_token: int


class TermIndex(Generic[T]):
    """Terms (one or more words) mapped to payloads; ``None`` registers a blocking term."""

    def __init__(self) -> None:
        self._terms: dict[tuple[str, ...], list[T]] = {}
        self._longest = 0
        self._longest_from: dict[str, int] = {}  # first word -> longest term starting with it

    def add(self, term: str, payload: T | None) -> None:
        """Register ``term``; a ``None`` payload makes it match and consume words silently."""
        key = normalise_term(term)
        if not key:
            raise ValueError(f"term {term!r} has no words")
        payloads = self._terms.setdefault(key, [])
        if payload is not None and payload not in payloads:
            payloads.append(payload)
        self._longest = max(self._longest, len(key))
        self._longest_from[key[0]] = max(self._longest_from.get(key[0], 0), len(key))

    def __contains__(self, term: str) -> bool:
        return normalise_term(term) in self._terms

    def __len__(self) -> int:
        return len(self._terms)

    def words(self) -> set[str]:
        """Every key word of every registered term (blocking terms included)."""
        return {word for key in self._terms for word in key}

    def find(self, text: str) -> list[Match[T]]:
        """Every registered term in ``text``, longest first at each position, in text order."""
        return self.find_in_tokens(text, tokenise(text))

    def find_in_tokens(self, text: str, tokens: Sequence[Token]) -> list[Match[T]]:
        """As ``find``, on tokens already made from ``text``."""
        keys = [token.key for token in tokens]
        matches: list[Match[T]] = []
        position = 0
        while position < len(keys):
            length = self._longest_at(keys, position)
            if length == 0:
                position += 1
                continue
            last = position + length - 1
            start, end = tokens[position].start, tokens[last].end
            term = " ".join(keys[position : last + 1])
            for payload in self._terms[tuple(keys[position : last + 1])]:
                matches.append(Match(payload, term, text[start:end], start, end, position, last))
            position = last + 1
        return matches

    def _longest_at(self, keys: Sequence[str], position: int) -> int:
        longest = self._longest_from.get(keys[position], 0)
        for length in range(min(longest, len(keys) - position), 0, -1):
            if tuple(keys[position : position + length]) in self._terms:
                return length
        return 0
