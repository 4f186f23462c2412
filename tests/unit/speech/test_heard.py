"""Transcript phrases are matched as heard: split compounds, sound-alike words, misheard filler.

The transcripts are what Whisper tiny.en wrote for meal descriptions espeak-ng spoke (from
``bench/voice.py`` on the tuning lines of the meal set); the typed-text matcher misses or
mismatches each of them.
"""

from __future__ import annotations

import pytest

from ml_ops.recognition import Transcript, TranscriptSegment
from ml_ops.speech.heard import SoundIndex, heard_matcher
from ml_ops.text.match import Matcher
from ml_ops.text.pipeline import analyse_text, default_matcher
from operations.food_intake.items import from_transcript

pytestmark = pytest.mark.usefixtures("no_network")


def _foods(text: str, matcher: Matcher) -> list[str]:
    return [i.recognition.food.name.lower() for i in analyse_text(text, matcher=matcher).items]


@pytest.mark.parametrize(
    ("heard", "food"),
    [
        ("Today I ate corn bread.", "cornbread"),  # a compound written as two words
        ("Today I ate 1/2 grape fruit.", "grapefruit"),
        ("Today I ate chicken faffitas.", "fajita"),  # sounds like, spelled alike
        ("Today I ate a ton of milk.", "milk"),  # a misheard filler before the food
        ("Today I ate 8 times of milk.", "milk"),
    ],
)
def test_a_misheard_food_is_read_as_heard(heard: str, food: str) -> None:
    assert not any(food in name for name in _foods(heard, default_matcher()))
    names = _foods(heard, heard_matcher())
    assert len(names) == 1, names
    assert food in names[0]


def test_a_sound_alike_is_a_correction_and_lowers_the_confidence() -> None:
    [item] = analyse_text("chicken faffitas", matcher=heard_matcher()).items
    assert item.text == "chicken faffitas"  # the evidence is what was heard
    assert item.recognition.corrections == (("faffitas", "fajita"),)
    [typed] = analyse_text("chicken fajitas", matcher=heard_matcher()).items
    assert typed.recognition.food == item.recognition.food
    assert item.recognition.confidence < typed.recognition.confidence


def test_words_heard_as_food_words_are_kept() -> None:
    # "pan" is a food word: it is not read as another one; the partial match stays
    heard = analyse_text("pan Thai", matcher=heard_matcher()).items
    typed = analyse_text("pan Thai", matcher=default_matcher()).items
    assert [i.recognition.food for i in heard] == [i.recognition.food for i in typed]
    assert heard[0].recognition.corrections == ()


@pytest.mark.parametrize("text", ["the weather was nice", "a cuddle", "well then"])
def test_no_food_is_invented(text: str) -> None:
    typed = [i.recognition.food for i in analyse_text(text, matcher=default_matcher()).items]
    heard = [i.recognition.food for i in analyse_text(text, matcher=heard_matcher()).items]
    assert heard == typed


def test_sound_index() -> None:
    index = SoundIndex({"fajita", "milk", "pecan", "bran"})
    assert index.sounds_like("faffita") == "fajita"
    assert index.sounds_like("bran") == "bran"
    assert index.sounds_like("weather") is None
    assert index.sounds_like("ok") is None  # too short to guess


def test_the_voice_path_reads_as_heard_and_keeps_the_segment() -> None:
    segments = (TranscriptSegment("Today I ate corn bread and chicken faffitas.", 0, 2900),)
    transcript = Transcript(segments[0].text, "en", segments, "whisper-tiny.en@0.1.0")
    recognised = from_transcript(transcript)
    names = [item.name.lower() for item in recognised.items]
    assert any("cornbread" in n for n in names), names
    assert any("fajita" in n for n in names), names
    for item in recognised.items:
        span, segment = item.evidence
        assert transcript.text[span.start : span.end] == item.text  # the words heard
        assert (segment.kind, segment.start_ms, segment.end_ms) == ("audio-segment", 0, 2900)
