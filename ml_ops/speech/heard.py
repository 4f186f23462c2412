"""Food phrases of a transcript matched as heard: words that sound like food words.

The smallest Whisper writes a food name it did not know as words that sound like it ("raisin
brand", "chicken faffitas", "a meal shake") or splits a compound ("corn bread", "grape fruit").
A typed phrase is matched as written (``ml_ops.text.match.Matcher``); a heard phrase that does
not match a food fully is read again here:

1. two heard words that together are one word of the food names are joined ("corn bread" ->
   cornbread);
2. a heard word that is no food word is replaced by a food-name word that sounds like it:
   the same Metaphone key or one edit apart (not in the first sound), and spelled alike
   (Jaro-Winkler; both from ``jellyfish``); two heard words are tried as one ("meal shake"
   -> milkshake);
3. words that are not in any food name (a misheard filler: "a ton of milk") are left out.

A reading is taken only when every food word it keeps is found in the food's name (full
coverage) with no spelling correction on top, so a sound-alike never adds a partial match
or a second guess. Each replaced word is recorded as a
correction (heard word, word read), which lowers the confidence like a corrected typo; the
item's evidence stays the words as heard and the clip's segment. A phrase with no food is
still reported as not recognised, and still goes through the allergen check as words.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from functools import cache

import jellyfish

from ml_ops.text.match import UNIT_WORDS, Matcher, Recognition, read_phrase
from terminology.foods import FoodLookup, food_lookup
from terminology.foods.vocabulary import STOPWORDS, SYNONYMS
from terminology.textmatch import normalise_term

FULL = 0.999
"""Coverage of a full match (floating point)."""
MIN_SIMILARITY = 0.8
"""Jaro-Winkler similarity of a heard word and the food word it is read as."""
MIN_LENGTH = 3
_NUMBER = re.compile(r"^\d+(?:[./]\d+)?$")


class SoundIndex:
    """The words of the food names, by Metaphone key, for sound-alike look-ups."""

    def __init__(self, words: set[str]) -> None:
        self.words = frozenset(w for w in words if w.isalpha() and len(w) >= MIN_LENGTH)
        self._by_key: dict[str, list[str]] = defaultdict(list)
        for word in sorted(self.words):
            self._by_key[jellyfish.metaphone(word)].append(word)

    def sounds_like(self, heard: str) -> str | None:
        """The food-name word ``heard`` most likely was, or None when none is close enough."""
        if len(heard) < MIN_LENGTH or not heard.isalpha():
            return None
        key = jellyfish.metaphone(heard)
        best: tuple[float, str] | None = None
        for other, words in self._by_key.items():
            if other[:1] != key[:1] or jellyfish.levenshtein_distance(key, other) > 1:
                continue  # one sound apart at most, never the first ("nice" is not rice)
            for word in words:
                if abs(len(word) - len(heard)) > max(2, len(heard) // 3):
                    continue
                similarity = jellyfish.jaro_winkler_similarity(heard, word)
                similarity -= 0.05 * (other != key)  # the same sounds first
                if similarity >= MIN_SIMILARITY and (best is None or similarity > best[0]):
                    best = (similarity, word)
        return best[1] if best else None


def food_words(lookup: FoodLookup) -> set[str]:
    """The words a heard phrase is read into: those of the food names' first segment (the
    food itself: "Cereals ready-to-eat, raisin bran" gives cereal, ready, eat, but "Raisin bran"
    its own entry) and the one-word diary synonyms ("oatmeal"), not qualifiers or brand names
    ("brand", "time", "GEORGE WESTON BAKERIES")."""
    words = {w for food in lookup.index.database.foods if _plain(food.name) for w in food.head}
    words.update(k[0] for k in map(normalise_term, SYNONYMS) if len(k) == 1)
    return words


def _plain(name: str) -> bool:
    return not name.split(",", 1)[0].isupper()


class HeardMatcher(Matcher):
    """A ``Matcher`` for transcripts: phrases read as heard (see the module docstring)."""

    def __init__(self, lookup: FoodLookup) -> None:
        super().__init__(lookup)
        self.sounds = SoundIndex(food_words(lookup))

    def recognise(self, text: str, portion_hint: float | None = None) -> Recognition | None:
        """The food ``text`` names, read as heard when it does not match as written."""
        joined = self._joined(text)
        if joined != text:
            found = super().recognise(joined, portion_hint)
            if found is not None and found.coverage >= FULL:
                return found
        plain = super().recognise(text, portion_hint)
        if plain is not None and plain.coverage >= FULL:
            return plain
        for reading, changes in self._readings(joined):
            found = super().recognise(reading, portion_hint)
            # No spelling correction on top of a sound-alike: one guess per phrase at most
            if found is not None and found.coverage >= FULL and not found.corrections:
                confidence = round(max(0.05, found.confidence * 0.85 ** len(changes)), 3)
                return replace(found, corrections=changes, confidence=confidence)
        return plain

    def _joined(self, text: str) -> str:
        """``text`` with two words joined where together they are one food-name word."""
        words = text.split()
        out: list[str] = []
        i = 0
        while i < len(words):
            pair = _key(words[i]) + _key(words[i + 1]) if i + 1 < len(words) else ""
            if pair and _key(words[i]) and self._known(pair):
                out.append(pair)
                i += 2
            else:
                out.append(words[i])
                i += 1
        return " ".join(out)

    def _known(self, word: str) -> bool:
        return word in self.sounds.words

    def _both_known(self, pair: list[str]) -> bool:
        # Two food words heard ("brown beef") are not read as one other food word.
        return all(self._known(_key(w)) for w in pair)

    def _readings(self, text: str) -> Iterator[tuple[str, tuple[tuple[str, str], ...]]]:
        """Other readings of ``text``, fewest changes first, each with its changes."""
        words = text.split()
        food = set(read_phrase(text).food.split())
        options: list[tuple[int, int, str]] = []  # (start, end, word read)
        for i, word in enumerate(words):
            if word.lower() in food and _replaceable(word) and not self._known(_key(word)):
                read = self.sounds.sounds_like(_key(word))
                if read is not None and read != _key(word):
                    options.append((i, i + 1, read))
            pair = words[i : i + 2]
            if len(pair) == 2 and all(map(_replaceable, pair)) and not self._both_known(pair):
                read = self.sounds.sounds_like(_key(word) + _key(words[i + 1]))
                if read is not None:
                    options.append((i, i + 2, read))
        for start, end, read in options:
            heard = " ".join(words[start:end])
            yield " ".join([*words[:start], read, *words[end:]]), ((heard, read),)
        # A word before the food that is in no food name is a misheard filler ("a ton of
        # milk"); the last food word stays, as English puts the food noun last.
        known = [i for i, w in enumerate(words) if _replaceable(w) and self._known(_key(w))]
        if known:
            last = known[-1]
            dropped = [w for w in words[:last] if _replaceable(w) and not self._known(_key(w))]
            if dropped:
                kept = [w for w in words[:last] if w not in dropped] + words[last:]
                yield " ".join(kept), tuple((w, "") for w in dropped)


def _key(word: str) -> str:
    keys = normalise_term(word)
    return keys[0] if len(keys) == 1 else ""


def _replaceable(word: str) -> bool:
    """A heard word that may be a misheard food word: not a number, unit or stop word."""
    low = word.lower()
    return not (_NUMBER.match(low) or low in UNIT_WORDS or low in STOPWORDS or not _key(low))


@cache
def heard_matcher() -> HeardMatcher:
    """The transcript matcher over the shipped food database (built on first use)."""
    return HeardMatcher(food_lookup())
