"""Foods the recogniser's other readings of a clip name where its best reading named none.

Whisper's beam search ends with several readings of a clip; the transcript is the best one.
When the smallest model mishears a food ("broccoli and garlic flour", "a snack, tariq"), the
next readings often have it ("broccoli and cauliflower", "a nectarine"). A missed food is
the worst error for allergen and interaction checks, so a food of another reading is added
where the best reading named none:

- each other reading is aligned word by word with the best one (``difflib``);
- a food it names is added when the words it stands on in the best reading are not all
  inside one food the best reading found: "a nectarine" for "a snack, tariq" (one food and
  an unrecognised word) and "a ham and cheese sandwich" for "a pam and cheese sandwich" (two
  foods) are added;
- inside a food the best reading matched fully (as written or as a sound-alike), nothing is
  added: "a beach" for "a peach", "the carbs" for "the pans" (read as the dish moo goo gai
  pan);
- inside a food the best reading matched only in part, a food the other reading names fully
  as written is added: "spinach, banana, almond milk" for "spinach, an almond milk" adds the
  banana (the words "an almond milk" matched sweetened almond milk in part);
- a food already found is not added twice.

The rule and its margin were chosen on three sets of tuning lines of the meal set
(docs/voice.md): adding inside a full sound-alike match as well found no more foods there and
added more wrong ones.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ml_ops.speech.heard import FULL
from ml_ops.text.match import Matcher, Recognition
from ml_ops.text.pipeline import TextAnalysis, TextItem, analyse_text

_WORD = re.compile(r"\w+(?:['/.-]\w+)*")


@dataclass(frozen=True)
class AlternativeItem:
    """A food named by another reading of the clip."""

    reading: str
    """The whole other reading, in which ``item`` has its offsets."""
    item: TextItem
    heard_start: int
    """Where the words the food stands on begin and end in the best reading (the transcript)."""
    heard_end: int


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group().lower(), m.start(), m.end()) for m in _WORD.finditer(text)]


def _overlapping(words: list[tuple[str, int, int]], start: int, end: int) -> set[int]:
    return {i for i, (_, a, b) in enumerate(words) if a < end and b > start}


def _alignment(
    reading: list[tuple[str, int, int]], best: list[tuple[str, int, int]]
) -> list[set[int]]:
    """For each word of ``reading``, the words of ``best`` it stands for."""
    matcher = difflib.SequenceMatcher(a=[w for w, *_ in reading], b=[w for w, *_ in best],
                                      autojunk=False)  # fmt: skip
    out: list[set[int]] = [set() for _ in reading]
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for i in range(i1, i2):
            if tag == "equal":
                out[i] = {j1 + i - i1}
            elif tag == "replace":
                out[i] = set(range(j1, j2))
    return out


def alternative_items(
    best: TextAnalysis,
    readings: Sequence[str],
    matcher: Matcher,
    language: str | None = None,
    portion_hint: float | None = None,
) -> list[AlternativeItem]:
    """Foods of ``readings`` (best first) that ``best``, the analysis of the transcript, lacks
    (see the module docstring)."""
    heard = _words(best.text)
    foods = [(_overlapping(heard, i.start, i.end), _full(i.recognition)) for i in best.items]
    found = {i.recognition.food.id for i in best.items}
    out: list[AlternativeItem] = []
    for reading in readings:
        if not reading.strip():
            continue
        words = _words(reading)
        stands_for = _alignment(words, heard)
        for item in analyse_text(reading, language, portion_hint, matcher).items:
            spoken = _overlapping(words, item.start, item.end)
            region = set().union(*(stands_for[i] for i in spoken))
            if item.recognition.food.id in found or not _adds(item.recognition, region, foods):
                continue
            found.add(item.recognition.food.id)
            start = min((heard[i][1] for i in region), default=0)
            end = max((heard[i][2] for i in region), default=0)
            out.append(AlternativeItem(reading, item, start, end))
    return out


def _full(found: Recognition) -> bool:
    return found.coverage >= FULL


def _adds(found: Recognition, region: set[int], foods: list[tuple[set[int], bool]]) -> bool:
    """Whether a food of another reading, standing on ``region`` of the transcript's words,
    is added (see the module docstring). Words only that reading has (an empty region) stand
    on nothing the transcript heard."""
    within = [full for span, full in foods if region and region <= span]
    if not within:
        return True
    return not any(within) and _full(found) and not found.corrections
