"""How well the recogniser hears meal sentences spoken by espeak-ng, at several speaking rates.

Word error rate compares words after both sides went through the same number writing and
lower-casing, so "two eggs" heard as "2 eggs" is no error.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ml_ops.recognition import SpeechRecogniser
from ml_ops.speech.alternatives import alternative_items
from ml_ops.speech.numbers import normalise_numbers
from ml_ops.speech.recogniser import load_recogniser
from ml_ops.speech.synth import speak
from ml_ops.text.match import Matcher
from ml_ops.text.pipeline import TextItem, analyse_text

_WORD = re.compile(r"\d+/\d+|\d+(?:\.\d+)?|[a-z]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class VoiceResult:
    """One sentence spoken at one rate, and what was heard."""

    sentence: str
    rate: int
    transcript: str
    alternatives: tuple[str, ...]
    """The recogniser's other readings (``Transcript.alternatives``)."""
    wer: float
    errors: int
    """Word substitutions, insertions and deletions against the sentence."""
    words: int
    """Words in the sentence, after number writing."""
    audio_seconds: float
    seconds: float
    """Transcription time, decoding included, synthesis not."""
    cpu_seconds: float
    """CPU time of the process in that time (all threads): what a busy machine does not inflate."""


def words_of(text: str) -> list[str]:
    """The words compared: lower case, numbers as digits, punctuation dropped."""
    return _WORD.findall(normalise_numbers(text).lower().replace("-", " "))


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Word-level Levenshtein distance."""
    previous = list(range(len(hypothesis) + 1))
    for i, word in enumerate(reference, 1):
        current = [i]
        for j, heard in enumerate(hypothesis, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != heard))
            )
        previous = current
    return previous[-1]


def evaluate_voice(
    sentences: Iterable[str],
    rates: Sequence[int] = (175, 130),
    recogniser: SpeechRecogniser | None = None,
) -> list[VoiceResult]:
    """Each sentence synthesised at each rate (words per minute), transcribed and scored."""
    speech = recogniser or load_recogniser(background=False)
    results = []
    for sentence in sentences:
        for rate in rates:
            clip = speak(sentence, rate)
            started, cpu_started = time.perf_counter(), time.process_time()
            transcript = speech.transcribe(clip, "audio/wav", "en")
            heard = transcript.text
            seconds = time.perf_counter() - started
            cpu_seconds = time.process_time() - cpu_started
            reference = words_of(sentence)
            errors = edit_distance(reference, words_of(heard))
            results.append(VoiceResult(
                sentence, rate, heard, transcript.alternatives, errors / max(len(reference), 1),
                errors, len(reference),
                _wav_seconds(clip), seconds, cpu_seconds,
            ))  # fmt: skip
    return results


def heard_items(result: VoiceResult, matcher: Matcher) -> list[TextItem]:
    """The foods the voice path takes from a clip: those of its transcript, then those its
    other readings add (``ml_ops.speech.alternatives``)."""
    if not result.transcript:
        return []
    best = analyse_text(result.transcript, "en", matcher=matcher)
    others = alternative_items(best, result.alternatives, matcher)
    return [*best.items, *(other.item for other in others)]


def _wav_seconds(clip: bytes) -> float:
    # espeak-ng writes 16-bit mono with a 44-byte header
    rate = int.from_bytes(clip[24:28], "little")
    return (len(clip) - 44) / 2 / rate if rate else 0.0


@dataclass(frozen=True)
class RateSummary:
    """The figures for one speaking rate."""

    rate: int
    clips: int
    wer: float
    """Corpus word error rate: all errors over all reference words."""
    p50_seconds: float
    p90_seconds: float
    p50_cpu_seconds: float
    audio_seconds: float
    """Mean clip length."""


def summarise(results: Sequence[VoiceResult]) -> list[RateSummary]:
    """Word error rate and transcription time per rate."""
    summaries = []
    for rate in sorted({r.rate for r in results}, reverse=True):
        mine = [r for r in results if r.rate == rate]
        times = sorted(r.seconds for r in mine)
        summaries.append(RateSummary(
            rate, len(mine),
            sum(r.errors for r in mine) / max(sum(r.words for r in mine), 1),
            statistics.median(times), times[min(len(times) - 1, int(0.9 * len(times)))],
            statistics.median(r.cpu_seconds for r in mine),
            statistics.fmean(r.audio_seconds for r in mine),
        ))  # fmt: skip
    return summaries
