"""A meal description to recognised foods and the phrases that could not be recognised.

``analyse_text("2 scrambled eggs and a slice of toast")`` gives one ``TextItem`` per food with
its span in the text (the evidence), grams, nutrients and a confidence, and one
``UnrecognisedPhrase`` for each phrase no food matched: nothing written is silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ml_ops.text.match import Matcher, Recognition, is_quantity_only
from ml_ops.text.segment import segment
from resources import error_codes
from resources.errors import Invalid, NotSupported
from terminology.foods import food_lookup

SUPPORTED_LANGUAGES = ("en",)
"""The food database's names and synonyms are English only (USDA names, our synonyms)."""
MAX_TEXT_CHARS = 2000


@dataclass(frozen=True)
class TextItem:
    """A food recognised in the text, where it was written, and how sure the match is."""

    text: str
    start: int
    end: int
    recognition: Recognition


@dataclass(frozen=True)
class UnrecognisedPhrase:
    """A phrase of the text that named no food of the database."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class TextAnalysis:
    """Everything read from one description."""

    text: str
    items: tuple[TextItem, ...]
    unrecognised: tuple[UnrecognisedPhrase, ...]
    meal_type: str | None


@cache
def default_matcher() -> Matcher:
    """The matcher over the shipped food database (opened on first use)."""
    return Matcher(food_lookup())


def check_language(language: str | None) -> None:
    """Refuse a language the food names are not in (only English is)."""
    primary = (language or "en").strip().lower().replace("_", "-").split("-")[0]
    if primary not in SUPPORTED_LANGUAGES:
        raise NotSupported(
            f"Food descriptions in {language!r} are not supported: the food database has "
            "English names only",
            error_codes.ANALYZE_FOOD_LANGUAGE,
            ("Parameters.parameter.language",),
        )


def analyse_text(
    text: str,
    language: str | None = None,
    portion_hint: float | None = None,
    matcher: Matcher | None = None,
) -> TextAnalysis:
    """Recognise the foods of a meal description (see the module docstring)."""
    check_language(language)
    if not text.strip():
        raise Invalid("The meal description is empty", error_codes.ANALYZE_FOOD_EMPTY_TEXT)
    if len(text) > MAX_TEXT_CHARS:
        raise Invalid(
            f"The meal description is over {MAX_TEXT_CHARS} characters",
            error_codes.ANALYZE_FOOD_TEXT_TOO_LONG,
        )
    matcher = matcher or default_matcher()
    segmented = segment(text, matcher.joins, is_quantity_only)
    items: list[TextItem] = []
    missed: list[UnrecognisedPhrase] = []
    for piece in segmented.pieces:
        span = text[piece.start : piece.end]
        found = matcher.recognise(piece.words(), portion_hint)
        if found is None:
            missed.append(UnrecognisedPhrase(span, piece.start, piece.end))
        else:
            items.append(TextItem(span, piece.start, piece.end, found))
    return TextAnalysis(text, tuple(items), tuple(missed), segmented.meal_type)
