"""A meal sentence cut into food phrases, each with its place in the text.

"For breakfast I had 2 scrambled eggs, toast and a side of bacon" -> "2 scrambled eggs",
"toast", "bacon". Hard breaks (commas, semicolons, full stops, new lines, colons) always
separate; connectors ("and", "with", "on", "in", "plus", "a side of") separate unless the words
on both sides name one food together ("mac and cheese", "peanut butter and jelly sandwich"),
which the caller decides (``Joiner``). Filler (meal words, "I had", "some", "at work") is left
out of the phrases; a piece that is only a quantity ("2 cups", "about 8 pieces") belongs to the
phrase before it ("pineapple chunks, 1 cup"), or to the one after it when no food came before
("1/2 cup, cottage cheese", "a cup on spinach": how Whisper punctuates and mishears speech).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MEAL_WORDS: dict[str, str] = {
    "breakfast": "breakfast", "brekkie": "breakfast", "lunch": "lunch", "dinner": "dinner",
    "supper": "dinner", "tea": "dinner", "snack": "snack", "snacks": "snack", "brunch": "lunch",
    "dessert": "snack",
}  # fmt: skip
_TOKEN = re.compile(
    r"\d+(?:[.,]\d+)?(?:\s*/\s*\d+)?"  # 2, 1.5, 1/2
    r"|[\u00bc-\u00be\u2150-\u215e]"  # vulgar fractions
    r"|w/"
    r"|[^\W\d_]+(?:['\u2019][^\W\d_]+)*"  # words, with inner apostrophes
    r"|[,;.!?:\n&+]"
)
_HARD = frozenset(",;.!?:\n")
_CONNECTORS: tuple[tuple[str, ...], ...] = (
    ("along", "with"), ("served", "with"), ("topped", "with"), ("a", "side", "of"),
    ("side", "of"), ("together", "with"), ("and", "a", "side", "of"), ("and",), ("with",),
    ("w/",), ("on",), ("in",), ("plus",), ("&",), ("+",), ("then",), ("or",),
)  # fmt: skip
_CONNECTORS = tuple(sorted(_CONNECTORS, key=len, reverse=True))
# Words that carry nothing about the food in a diary line.
FILLER: frozenset[str] = frozenset(
    {
        "i", "we", "he", "she", "they", "had", "have", "has", "having", "ate", "eaten", "eat",
        "eating", "drank", "grabbed", "got", "some", "about", "around", "approximately",
        "roughly", "maybe", "approx", "leftover", "leftovers", "also", "just", "only", "today",
        "tonight", "yesterday", "morning", "afternoon", "evening", "was", "were", "is", "my",
        "our", "work", "home", "office", "snacked", "quick", "really", "very", "yummy",
        "delicious", "lots", "ish", "like", "probably", "after", "before", "gym", "sitting",
        "later", "too", "again", "bit", "at",
    }
)  # fmt: skip
_MEAL_LEAD = frozenset({"for", "at", "during", "with"})


@dataclass(frozen=True)
class Token:
    """A word, number or mark of the text with its character span."""

    text: str
    start: int
    end: int

    @property
    def key(self) -> str:
        """The lowercase form compared with the word lists."""
        return self.text.lower()


@dataclass(frozen=True)
class Piece:
    """A food phrase: its tokens (filler removed) and the span of the text they cover."""

    tokens: tuple[Token, ...]

    @property
    def start(self) -> int:
        """Offset of the first character."""
        return min(t.start for t in self.tokens)

    @property
    def end(self) -> int:
        """Offset after the last character."""
        return max(t.end for t in self.tokens)

    def words(self) -> str:
        """The phrase as words separated by single spaces."""
        return " ".join(t.text for t in self.tokens)


Joiner = Callable[[str, str, str], bool]
"""``joins(left, connector, right)``: True when "left connector right" names one food."""
QuantityTest = Callable[[str], bool]
"""True when a phrase is only a quantity and unit, naming no food ("2 cups")."""


@dataclass(frozen=True)
class Segmented:
    """The food phrases of a sentence and the meal it names, if any."""

    pieces: tuple[Piece, ...]
    meal_type: str | None


def tokens(text: str) -> list[Token]:
    """The words, numbers and separators of ``text`` with their spans."""
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def segment(text: str, joins: Joiner, quantity_only: QuantityTest) -> Segmented:
    """Cut ``text`` into food phrases (see the module docstring)."""
    meal: list[str] = []
    pieces: list[Piece] = []
    ahead: Piece | None = None  # a quantity before any food: "1/2 cup, cottage cheese"
    for chunk in _chunks(tokens(text)):
        kept = _drop_filler(chunk, meal)
        for piece in _split(kept, joins):
            if quantity_only(piece.words()):
                if pieces:
                    pieces[-1] = Piece(_quantity_first(pieces[-1].tokens, piece.tokens))
                else:
                    ahead = Piece((*ahead.tokens, *piece.tokens)) if ahead else piece
            elif ahead is not None:
                pieces.append(Piece((*ahead.tokens, *piece.tokens)))
                ahead = None
            else:
                pieces.append(piece)
    if ahead is not None:
        pieces.append(ahead)
    return Segmented(tuple(pieces), meal[0] if meal else None)


def _chunks(all_tokens: list[Token]) -> list[list[Token]]:
    chunks: list[list[Token]] = [[]]
    for index, token in enumerate(all_tokens):
        decimal = token.text in ".," and _between_digits(all_tokens, index)
        if token.text in _HARD and not decimal:
            chunks.append([])
        else:
            chunks[-1].append(token)
    return [c for c in chunks if c]


def _between_digits(all_tokens: list[Token], index: int) -> bool:
    before = all_tokens[index - 1] if index else None
    after = all_tokens[index + 1] if index + 1 < len(all_tokens) else None
    return bool(
        before and after and before.text[-1:].isdigit() and after.text[:1].isdigit()
        and before.end == all_tokens[index].start and after.start == all_tokens[index].end
    )  # fmt: skip


def _drop_filler(chunk: list[Token], meal: list[str]) -> list[Token]:
    kept: list[Token] = []
    index = 0
    while index < len(chunk):
        token = chunk[index]
        after = chunk[index + 1].key if index + 1 < len(chunk) else None
        if token.key in _MEAL_LEAD and after in MEAL_WORDS:
            meal.append(MEAL_WORDS[after])  # "for breakfast", "at lunch"
            index += 2
            continue
        if token.key in MEAL_WORDS and _meal_word_alone(chunk, index, kept):
            meal.append(MEAL_WORDS[token.key])
            index += 1
            continue
        if token.key not in FILLER and not (token.key == "on" and not kept):
            kept.append(token)
        index += 1
    return kept


def _meal_word_alone(chunk: list[Token], index: int, kept: list[Token]) -> bool:
    # "lunch: ...", "dinner was ...": the word names the meal; "breakfast burrito" is a food.
    after = chunk[index + 1].key if index + 1 < len(chunk) else None
    if chunk[index].key == "tea" and (kept or after is not None):
        return False  # "tea" is a drink unless it stands alone as the meal ("tea:")
    return not kept and (after is None or after in ("was", "were", "is", "i", "we"))


def _split(chunk: list[Token], joins: Joiner) -> list[Piece]:
    parts: list[list[Token]] = [[]]
    connectors: list[list[Token]] = []
    index = 0
    while index < len(chunk):
        length = _connector_at(chunk, index)
        if length and parts[-1]:
            connectors.append(chunk[index : index + length])
            parts.append([])
            index += length
        else:
            if not length:
                parts[-1].append(chunk[index])
            index += max(length, 1)
    return _joined(parts, connectors, joins)


def _connector_at(chunk: list[Token], index: int) -> int:
    for connector in _CONNECTORS:
        words = tuple(t.key for t in chunk[index : index + len(connector)])
        if words == connector and not _inside_number(chunk, index, connector):
            return len(connector)
    return 0


def _inside_number(chunk: list[Token], index: int, connector: tuple[str, ...]) -> bool:
    # "one and a half cups": the "and" belongs to the quantity.
    if connector != ("and",) or index == 0 or index + 1 >= len(chunk):
        return False
    before, after = chunk[index - 1].key, chunk[index + 1].key
    numeric = {"one", "two", "three", "four", "five"}
    return (before.isdigit() or before in numeric) and after in ("a", "half", "quarter")


def _joined(parts: list[list[Token]], connectors: list[list[Token]], joins: Joiner) -> list[Piece]:
    pieces: list[Piece] = []
    current: list[Token] = []
    for index, part in enumerate(parts):
        if not part:
            continue
        between = connectors[index - 1] if index else []
        if current and joins(_words(current), _words(between), _words(part)):
            current = current + between + part
        else:
            if current:
                pieces.append(Piece(tuple(current)))
            current = list(part)
    if current:
        pieces.append(Piece(tuple(current)))
    return pieces


def _words(part: list[Token]) -> str:
    return " ".join(t.text for t in part)


def _quantity_first(food: tuple[Token, ...], quantity: tuple[Token, ...]) -> tuple[Token, ...]:
    # The span grows to cover both; the words are read quantity first ("1 cup pineapple").
    return (*quantity, *food)
