"""Spoken quantities written as digits, so the text parser reads one notation.

"two eggs" -> "2 eggs", "one and a half cups" -> "1 1/2 cups", "half a cup" -> "1/2 cup",
"two hundred and fifty grams" -> "250 grams", "a dozen almonds" -> "12 almonds", and a
written fraction read out ("one slash two cup", "1 1 slash 2 cups") -> "1/2 cup". Whisper
writes some numbers as digits itself ("1 and a half"): those are completed the same way.
The article "a" stays a word ("a slice of toast"): it is a quantity only to the text parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_FRACTIONS = {
    "half": Fraction(1, 2), "third": Fraction(1, 3),
    "thirds": Fraction(1, 3), "quarter": Fraction(1, 4), "quarters": Fraction(1, 4),
    "fourth": Fraction(1, 4), "fourths": Fraction(1, 4),
}  # fmt: skip
_ARTICLES = ("a", "an")
_PRONOUN_ONE = frozenset(("no", "any", "every", "some", "the", "this", "that", "which", "each"))
"""Words before which "one" is a pronoun ("the one with cheese"), not a count."""
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[A-Za-z]+|[^\sA-Za-z\d]")


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int

    @property
    def word(self) -> str:
        return self.text.lower()


def normalise_numbers(text: str) -> str:
    """``text`` with spoken quantities written as digits and simple fractions."""
    tokens = [_Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    pieces: list[str] = []
    cursor = 0
    i = 0
    while i < len(tokens):
        found = None if _pronoun(tokens, i) else _quantity(tokens, i)
        if found is None:
            i += 1
            continue
        value, end = found
        pieces.append(text[cursor : tokens[i].start])
        pieces.append(_format(value))
        cursor = tokens[end - 1].end
        i = end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _pronoun(tokens: list[_Token], i: int) -> bool:
    return tokens[i].word == "one" and i > 0 and tokens[i - 1].word in _PRONOUN_ONE


def _format(value: Fraction) -> str:
    whole, part = divmod(value, 1)
    if part == 0:
        return str(whole)
    fraction = f"{part.numerator}/{part.denominator}"
    return f"{whole} {fraction}" if whole else fraction


def _words(tokens: list[_Token], i: int) -> list[str]:
    """The lower-case words from ``i`` on, hyphens skipped ("twenty-five", "one-half")."""
    return [t.word for t in tokens[i:] if t.text != "-"]


def _quantity(tokens: list[_Token], i: int) -> tuple[Fraction, int] | None:
    """The quantity starting at token ``i`` and the index just past it, or None."""
    positions = [j for j in range(i, len(tokens)) if tokens[j].text != "-"]
    words = _words(tokens, i)
    found = _fraction_phrase(words) or _counted_phrase(words)
    if found is None:
        return None
    value, used = found
    return value, positions[used - 1] + 1


def _fraction_phrase(words: list[str]) -> tuple[Fraction, int] | None:
    """ "half a", "a half", "a quarter", "half a dozen", "a dozen"."""
    first = words[0] if words else ""
    second = words[1] if len(words) > 1 else ""
    if first == "half" and second in _ARTICLES:
        if len(words) > 2 and words[2] == "dozen":
            return Fraction(6), 3
        return Fraction(1, 2), 2  # "half a cup" -> "1/2 cup": the article goes with the half
    if first in _ARTICLES and second == "dozen":
        return Fraction(12), 2
    if first in _ARTICLES and second in ("half", "third", "quarter"):
        return _FRACTIONS[second], 2
    return None


def _counted_phrase(words: list[str]) -> tuple[Fraction, int] | None:
    """A cardinal, then "and a half", "dozen", a fraction word ("two thirds") or a fraction
    read out ("1 slash 2", "1 1 slash 2")."""
    found = _cardinal(words)
    if found is None:
        return None
    whole, used = found
    rest = words[used:]
    fraction = _slash_fraction(words)  # "1 slash 2"
    if fraction is not None:
        return fraction
    read_out = _slash_fraction(rest)  # "1 1 slash 2": a whole number and a fraction
    if read_out is not None:
        return whole + read_out[0], used + read_out[1]
    if rest[:2] in (["and", "a"], ["and", "one"]) and rest[2:3] in (["half"], ["quarter"]):
        return whole + _FRACTIONS[rest[2]], used + 3
    if rest[:1] == ["dozen"]:
        return Fraction(whole * 12), used + 1
    if rest[:1] and rest[0] in _FRACTIONS and 0 < whole < 10:
        return whole * _FRACTIONS[rest[0]], used + 1
    return Fraction(whole), used


def _slash_fraction(words: list[str]) -> tuple[Fraction, int] | None:
    """ "1 slash 2", "three slash four": a written fraction as espeak-ng and dictation read it."""
    if len(words) < 3 or words[1] != "slash":
        return None
    top, bottom = _small_number(words[0]), _small_number(words[2])
    if top is None or bottom is None or not 0 < top < bottom <= 16:
        return None
    return Fraction(top, bottom), 3


def _small_number(word: str) -> int | None:
    return int(word) if word.isdigit() and len(word) < 3 else _UNITS.get(word)


def _cardinal(words: list[str]) -> tuple[int, int] | None:
    """A whole number in digits or words ("250", "two hundred and fifty") and words used."""
    if not words:
        return None
    if words[0].isdigit():
        return int(words[0]), 1
    total, current, used = 0, 0, 0
    while used < len(words) and _extends(words, used, current, total):
        total, current = _add(words[used], total, current)
        used += 1
    if used == 0:
        return None
    return total + current, used


def _extends(words: list[str], index: int, current: int, total: int) -> bool:
    """Whether ``words[index]`` continues the number read so far."""
    word, low = words[index], current % 100
    if word in _UNITS:  # "five", or "twenty" + "five"
        return low == 0 or (low >= 20 and low % 10 == 0 and _UNITS[word] < 10)
    if word in _TENS:
        return low == 0
    if word == "hundred":
        return 0 < current < 100
    if word == "thousand":
        return total == 0 and current > 0
    # "two hundred and fifty": "and" joins only after "hundred" and before a number word
    following = words[index + 1] if index + 1 < len(words) else ""
    return (
        word == "and"
        and index > 0
        and words[index - 1] == "hundred"
        and (following in _UNITS or following in _TENS)
    )


def _add(word: str, total: int, current: int) -> tuple[int, int]:
    if word == "hundred":
        return total, current * 100
    if word == "thousand":
        return total + current * 1000, 0
    return total, current + _UNITS.get(word, 0) + _TENS.get(word, 0)
