"""Voice clips decoded to 16 kHz mono, and every bad upload refused with its own code."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from ml_ops.speech.audio import SAMPLE_RATE, AudioLimits, decode, sniff
from resources import error_codes
from resources.errors import (
    FhirError,
    Invalid,
    PayloadTooLarge,
    ServiceUnavailable,
    Unprocessable,
    UnsupportedMediaType,
)
from tests.unit.speech.clips import EGGS, ENCODERS, convert, encoded, spoken

pytestmark = pytest.mark.usefixtures("no_network")
LIMITS = AudioLimits()


def _seconds(clip: bytes) -> float:
    with wave.open(io.BytesIO(clip)) as reader:
        frames, rate = reader.getnframes(), reader.getframerate()
    return float(frames / rate)


def _wav(frames: bytes, rate: int = 16_000, width: int = 2, channels: int = 1) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(frames)
    return out.getvalue()


def _similar(a: np.ndarray, b: np.ndarray) -> float:
    n = min(a.size, b.size)
    return float(np.corrcoef(a[:n], b[:n])[0, 1])


@pytest.mark.parametrize("container", sorted(ENCODERS))
def test_every_format_decodes_to_the_same_sound(container: str) -> None:
    clip, media_type = encoded(container)
    reference = decode(spoken(EGGS), "audio/wav", LIMITS)
    samples = decode(clip, media_type, LIMITS)
    assert sniff(clip) == container
    assert samples.dtype == np.float32
    assert abs(samples.size - reference.size) < 0.1 * SAMPLE_RATE  # codec padding only
    assert np.abs(samples).max() > 0.05


def test_wav_read_directly_matches_ffmpeg() -> None:
    original = spoken(EGGS)  # 22,050 Hz mono 16-bit, resampled here
    direct = decode(original, "audio/wav", LIMITS)
    by_ffmpeg = decode(encoded("flac")[0], "audio/flac", LIMITS)
    assert abs(direct.size / SAMPLE_RATE - _seconds(original)) < 0.01
    assert _similar(direct, by_ffmpeg) > 0.95


@pytest.mark.parametrize(
    "arguments",
    [
        ("-ar", "44100", "-ac", "2", "-c:a", "pcm_s24le"),  # stereo 24-bit, read directly
        ("-ar", "8000", "-c:a", "pcm_u8"),  # 8-bit, upsampled
        ("-ar", "48000", "-c:a", "pcm_s32le"),
        ("-c:a", "pcm_f32le"),  # float WAV: the standard library hands it to ffmpeg
    ],
)
def test_wav_variants_decode(arguments: tuple[str, ...]) -> None:
    original = spoken(EGGS)
    variant = convert(original, "wav", *arguments)
    samples = decode(variant, "audio/x-wav", LIMITS)
    reference = decode(original, "audio/wav", LIMITS)
    assert abs(samples.size - reference.size) <= 2
    assert _similar(samples, reference) > 0.9


def test_untyped_upload_is_recognised_by_its_bytes() -> None:
    clip, _ = encoded("mp3")
    assert decode(clip, "application/octet-stream", LIMITS).size > SAMPLE_RATE
    assert decode(clip, "", LIMITS).size > SAMPLE_RATE


def _refused(audio: bytes, media_type: str, limits: AudioLimits = LIMITS) -> FhirError:
    with pytest.raises(FhirError) as caught:
        decode(audio, media_type, limits)
    return caught.value


def test_empty_clip() -> None:
    error = _refused(b"", "audio/wav")
    assert isinstance(error, Invalid)
    assert error.nv_code == error_codes.SPEECH_AUDIO_EMPTY


def test_wav_without_samples() -> None:
    error = _refused(_wav(b""), "audio/wav")
    assert isinstance(error, Invalid)
    assert error.nv_code == error_codes.SPEECH_AUDIO_EMPTY


@pytest.mark.parametrize(
    "audio",
    [
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # truncated header
        b"RIFF\x24\x00\x00\x00WAVE" + b"\x00" * 64,  # no fmt or data chunk
        _wav(b"\x00\x01" * 100)[:30],
        _wav(b"\x00\x01" * 100, rate=16_000).replace(b"\x80\x3e\x00\x00", b"\x01\x00\x00\x00", 1),
    ],
)
def test_corrupt_wav(audio: bytes) -> None:
    error = _refused(audio, "audio/wav")
    assert isinstance(error, Invalid)
    assert error.nv_code == error_codes.SPEECH_AUDIO_CORRUPT
    assert error.status == 400


@pytest.mark.parametrize(
    ("audio", "media_type"),
    [
        (b"OggS" + bytes(range(256)) * 8, "audio/ogg"),
        (b"fLaC" + b"\x00" * 300, "audio/flac"),
        (b"just some text, not sound", "audio/mpeg"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "audio/webm"),
    ],
)
def test_corrupt_compressed_clip(audio: bytes, media_type: str) -> None:
    error = _refused(audio, media_type)
    assert isinstance(error, Invalid)
    assert error.nv_code == error_codes.SPEECH_AUDIO_CORRUPT


def test_truncated_compressed_clip() -> None:
    clip, media_type = encoded("ogg")
    error = _refused(clip[:200], media_type)
    assert error.nv_code in (error_codes.SPEECH_AUDIO_CORRUPT, error_codes.SPEECH_AUDIO_EMPTY)
    assert error.status == 400


@pytest.mark.parametrize("media_type", ["image/png", "text/plain", "video/mp4", "audio/aac"])
def test_media_type_not_accepted(media_type: str) -> None:
    error = _refused(spoken(EGGS), media_type)
    assert isinstance(error, UnsupportedMediaType)
    assert error.nv_code == error_codes.SPEECH_MEDIA_TYPE_NOT_SUPPORTED
    assert error.status == 415


def test_clip_over_the_size_limit() -> None:
    clip = spoken(EGGS)
    error = _refused(clip, "audio/wav", AudioLimits(max_bytes=len(clip) - 1))
    assert isinstance(error, PayloadTooLarge)
    assert error.nv_code == error_codes.SPEECH_AUDIO_TOO_LARGE
    assert error.status == 413


@pytest.mark.parametrize("container", ["wav", "mp3"])
def test_clip_over_the_duration_limit(container: str) -> None:
    clip, media_type = (spoken(EGGS), "audio/wav") if container == "wav" else encoded(container)
    error = _refused(clip, media_type, AudioLimits(max_seconds=1.0))
    assert isinstance(error, Unprocessable)
    assert error.nv_code == error_codes.SPEECH_AUDIO_TOO_LONG
    assert decode(clip, media_type, AudioLimits(max_seconds=10.0)).size > 0


def test_without_ffmpeg_compressed_audio_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    clip, media_type = encoded("flac")
    wav = spoken(EGGS)
    monkeypatch.setenv("PATH", "/nonexistent")
    error = _refused(clip, media_type)
    assert isinstance(error, ServiceUnavailable)
    assert error.nv_code == error_codes.SPEECH_DECODER_MISSING
    assert decode(wav, "audio/wav", LIMITS).size > 0  # WAV needs no ffmpeg
