"""Spelling correction of free text against a known vocabulary, within edit distance 2.

A symmetric-delete index (every word with up to two letters deleted) finds candidate words
quickly; each candidate is confirmed with the optimal string alignment distance (insertions,
deletions, substitutions and adjacent transpositions). Only words the vocabulary does not know
are corrected, and only when they are long enough for a correction to mean something: a
4-letter word within distance 1 (and only towards a single word), a longer one within
distance 2 (and towards at most three words: a word near many is not a typo of one). Several
equally close words are all returned: a safety check must consider each of them, never pick
one and drop the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from terminology.textmatch.normalise import tokenise

MAX_DISTANCE = 2
MAX_ALTERNATIVES = 3


@dataclass(frozen=True)
class Correction:
    """A word of the text replaced by a vocabulary word (``surface``), and how far apart."""

    original: str
    surface: str
    distance: int
    start: int
    end: int


def allowed_distance(word: str) -> int:
    """How many edits a word of this length may be corrected by (0: not corrected)."""
    if len(word) <= 3 or not word.isalpha():
        return 0
    return 1 if len(word) == 4 else MAX_DISTANCE


def osa_distance(first: str, second: str, limit: int = MAX_DISTANCE) -> int:
    """Optimal string alignment distance, or ``limit + 1`` once it exceeds ``limit``."""
    if abs(len(first) - len(second)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, start=1):
        current = [i] + [0] * len(second)
        for j, b in enumerate(second, start=1):
            cost = 0 if a == b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a == second[j - 2] and first[i - 2] == b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _deletes(word: str, depth: int) -> set[str]:
    out = {word}
    for n in range(1, min(depth, len(word) - 1) + 1):
        for positions in combinations(range(len(word)), n):
            out.add("".join(ch for i, ch in enumerate(word) if i not in positions))
    return out


class SpellingIndex:
    """Vocabulary words (match keys) with a symmetric-delete index for correction."""

    def __init__(self, surfaces: Iterable[str]) -> None:
        self._surface: dict[str, str] = {}
        self._deleted: dict[str, set[str]] = {}
        for text in surfaces:
            for token in tokenise(text):
                self._add(token.key, text[token.start : token.end])

    def _add(self, key: str, surface: str) -> None:
        if key in self._surface:
            return
        self._surface[key] = surface
        if allowed_distance(key) == 0:
            return
        for variant in _deletes(key, MAX_DISTANCE):
            self._deleted.setdefault(variant, set()).add(key)

    def __contains__(self, key: str) -> bool:
        return key in self._surface

    def candidates(self, key: str) -> tuple[list[str], int]:
        """The closest vocabulary keys to an unknown ``key`` and their distance ([] if none)."""
        limit = allowed_distance(key)
        if limit == 0 or key in self._surface:
            return [], 0
        found: set[str] = set()
        for variant in _deletes(key, limit):
            found |= self._deleted.get(variant, set())
        scored = [(osa_distance(key, word, limit), word) for word in found]
        scored = [(d, w) for d, w in scored if d <= limit and allowed_distance(w) > 0]
        if not scored:
            return [], 0
        best = min(d for d, _ in scored)
        closest = sorted(w for d, w in scored if d == best)
        if len(closest) > (1 if len(key) == 4 else MAX_ALTERNATIVES):
            return [], 0  # a word near many others is not a recognisable typo of one
        return closest, best

    def corrections(self, text: str) -> list[list[Correction]]:
        """For each unknown word of ``text`` with close vocabulary words, its corrections."""
        out: list[list[Correction]] = []
        for token in tokenise(text):
            words, distance = self.candidates(token.key)
            if words:
                original = text[token.start : token.end]
                out.append(
                    [
                        Correction(original, self._surface[w], distance, token.start, token.end)
                        for w in words
                    ]
                )
        return out


def corrected_texts(text: str, groups: list[list[Correction]]) -> list[str]:
    """``text`` with its unknown words corrected: one text per alternative of each word.

    The first text takes every word's first alternative; each further alternative of a word
    gives one more text, so every candidate word is looked at (not every combination).
    """
    if not groups:
        return []
    first = [group[0] for group in groups]
    texts = [_apply(text, first)]
    for index, group in enumerate(groups):
        for alternative in group[1:]:
            texts.append(_apply(text, [*first[:index], alternative, *first[index + 1 :]]))
    return texts


def _apply(text: str, chosen: list[Correction]) -> str:
    out = text
    for correction in sorted(chosen, key=lambda c: -c.start):
        out = out[: correction.start] + correction.surface + out[correction.end :]
    return out
