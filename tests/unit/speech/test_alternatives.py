"""Foods of the recogniser's other readings, added where the transcript named none.

The readings are what tiny.en's beam ended with on the meal set spoken by espeak-ng
(docs/voice.md); no model runs here.
"""

from __future__ import annotations

from ml_ops.recognition import Transcript, TranscriptSegment
from ml_ops.speech.alternatives import alternative_items
from ml_ops.speech.heard import heard_matcher
from ml_ops.text.pipeline import analyse_text
from operations.food_intake.items import ALTERNATIVE_CONFIDENCE, from_transcript


def _added(best: str, *readings: str) -> list[str]:
    found = analyse_text(best, "en", matcher=heard_matcher())
    return [a.item.recognition.food.name.lower() for a in
            alternative_items(found, readings, heard_matcher())]  # fmt: skip


def test_a_food_heard_where_the_transcript_has_an_unknown_word_is_added() -> None:
    best = "Today I ate a snack, tariq."
    found = analyse_text(best, "en", matcher=heard_matcher())
    assert not any("nectarine" in i.recognition.food.name.lower() for i in found.items)
    [other] = alternative_items(found, ["Today I ate a nectarine."], heard_matcher())
    assert "nectarine" in other.item.recognition.food.name.lower()
    assert other.reading[other.item.start : other.item.end] == "a nectarine"
    # it stands on the words "a snack, tariq" of the transcript
    assert best[other.heard_start : other.heard_end] == "a snack, tariq"


def test_a_food_over_two_foods_of_the_transcript_is_added() -> None:
    added = _added(
        "Today I type in a pam and cheese sandwich at lunch.",
        "Today I type in a ham and cheese sandwich at lunch.",
    )
    assert any("ham" in name and "sandwich" in name for name in added), added


def test_a_misheard_second_food_is_added() -> None:
    added = _added(
        "Today I ate broccoli and garlic flour.", "Today I ate broccoli and cauliflower."
    )
    [name] = added
    assert "cauliflower" in name, added


def test_a_whole_food_inside_a_partial_match_is_added() -> None:
    best = "Today I ate smoothie with spinach, an almond milk."
    found = analyse_text(best, "en", matcher=heard_matcher())
    partial = [i for i in found.items if i.text == "an almond milk"]
    [match] = partial
    assert match.recognition.coverage < 1  # "an" is a part of the match
    added = _added(best, "Today I ate smoothie with spinach, banana, almond milk.")
    [name] = added
    assert "banana" in name, added
    # a sound-alike is not enough there
    assert _added(best, "Today I ate smoothie with spinach, bandana, almond milk.") == []


def test_another_reading_of_a_food_the_transcript_found_adds_nothing() -> None:
    # "a peach" was found: "a beach", "a piece" and "a beef" are other readings of those words
    others = ("Today I ate a beach.", "Today I ate a piece.", "Today I ate a beef.")
    assert _added("Today I ate a peach.", *others) == []
    assert _added("Today I ate a croissant.", "Today I ate a glass of salt.") == []
    # nor inside a full sound-alike match ("pans" read as the dish moo goo gai pan)
    best = "Today I ate spinach salad with strawberries and the pans."
    assert _added(best, best.replace("pans", "carbs"), best.replace("pans", "cams")) == []


def test_a_food_is_added_once() -> None:
    added = _added("Today I ate.", "Today I ate toast.", "Today I ate a toast.")
    [name] = added
    assert "bread" in name, added
    assert _added("Today I ate toast.", "Today I ate toast and toast.") == []


def test_a_food_only_another_reading_has_words_for_is_added() -> None:
    # The transcript lost the food altogether: its words stand on nothing heard
    found = analyse_text("Today I ate.", "en", matcher=heard_matcher())
    [other] = alternative_items(found, ["Today I ate an apple."], heard_matcher())
    assert "apple" in other.item.recognition.food.name.lower()
    assert (other.heard_start, other.heard_end) == (0, 0)


def test_the_voice_path_reports_the_reading_as_evidence_at_half_the_confidence() -> None:
    text = "Today I ate a snack, tariq."
    segment = TranscriptSegment(text, 0, 2100)
    reading = "Today I ate a nectarine."
    transcript = Transcript(text, "en", (segment,), "whisper-tiny.en@0.1.0", (reading,))
    items = from_transcript(transcript).items
    [heard] = [i for i in items if "nectarine" in i.name.lower()]
    alone = from_transcript(Transcript(reading, "en", (TranscriptSegment(reading, 0, 2100),)))
    [said] = [i for i in alone.items if "nectarine" in i.name.lower()]
    assert heard.confidence == round(said.confidence * ALTERNATIVE_CONFIDENCE, 3)
    kinds = [e.kind for e in heard.evidence]
    assert kinds == ["alternative-transcript", "audio-segment"]
    evidence = heard.evidence[0]
    assert evidence.excerpt == reading
    assert reading[evidence.start : evidence.end] == heard.text == "a nectarine"
    assert (heard.evidence[1].start_ms, heard.evidence[1].end_ms) == (0, 2100)
    # without the reading, the nectarine is missed
    plain = Transcript(text, "en", (segment,), "whisper-tiny.en@0.1.0")
    assert not any("nectarine" in i.name.lower() for i in from_transcript(plain).items)
