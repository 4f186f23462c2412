"""Voice clips to 16 kHz mono samples, the only input Whisper takes.

WAV (PCM) is read here with the standard library: it is what most recorders send and needs
no process. FLAC, OGG/Opus, WebM and MP3 (and WAV that is not plain PCM) go through Debian's
``ffmpeg`` in a child process rather than through PyAV inside the server (PyAV, which
faster-whisper brings, reads all five too): a malformed upload that hangs or crashes a
decoder then costs one killed process under a time limit, not the server; and the child may
read nothing but its standard input (``-protocol_whitelist pipe``), so a crafted playlist
cannot make it open files or URLs.

The container is recognised from the bytes, not the declared media type: a client's type only
decides whether we accept the upload at all.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from resources import error_codes
from resources.errors import (
    Invalid,
    PayloadTooLarge,
    ServiceUnavailable,
    Unprocessable,
    UnsupportedMediaType,
)

SAMPLE_RATE = 16_000
Samples = npt.NDArray[np.float32]

MEDIA_TYPES = {
    "audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav", "audio/vnd.wave": "wav",
    "audio/flac": "flac", "audio/x-flac": "flac",
    "audio/ogg": "ogg", "audio/opus": "ogg", "application/ogg": "ogg",
    "audio/webm": "webm", "video/webm": "webm",
    "audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/mpeg3": "mp3",
}  # fmt: skip
"""Accepted media types (parameters such as ``codecs=opus`` ignored) and their container."""
_UNDECLARED = ("", "application/octet-stream")
"""Types that say nothing: a form upload without a type; the bytes decide."""
_FFMPEG_DEMUXERS = {"wav": "wav", "flac": "flac", "ogg": "ogg", "webm": "matroska", "mp3": "mp3"}


@dataclass(frozen=True)
class AudioLimits:
    """What one clip may cost before any model sees it."""

    max_bytes: int = 10 * 1024 * 1024
    max_seconds: float = 60.0
    decode_timeout_s: float = 20.0


def container_of(media_type: str) -> str | None:
    """The container a declared media type names; None when the type says nothing.

    Raises ``UnsupportedMediaType`` for any other type.
    """
    base = media_type.split(";", 1)[0].strip().lower()
    if base in _UNDECLARED:
        return None
    if base not in MEDIA_TYPES:
        accepted = ", ".join(sorted(set(MEDIA_TYPES)))
        raise UnsupportedMediaType(
            f"audio of type {base!r} is not accepted; send one of {accepted}",
            error_codes.SPEECH_MEDIA_TYPE_NOT_SUPPORTED,
        )
    return MEDIA_TYPES[base]


def sniff(audio: bytes) -> str | None:
    """The container the bytes start with (wav, flac, ogg, webm, mp3), or None."""
    if audio[:4] == b"RIFF" and audio[8:12] == b"WAVE":
        return "wav"
    if audio[:4] == b"fLaC":
        return "flac"
    if audio[:4] == b"OggS":
        return "ogg"
    if audio[:4] == b"\x1a\x45\xdf\xa3":  # EBML, the Matroska/WebM header
        return "webm"
    if audio[:3] == b"ID3" or (len(audio) > 1 and audio[0] == 0xFF and audio[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def decode(audio: bytes, media_type: str, limits: AudioLimits) -> Samples:
    """16 kHz mono float samples of a clip, checked against ``limits``.

    Raises ``Invalid`` (empty or undecodable), ``PayloadTooLarge``, ``Unprocessable`` (too
    long), ``UnsupportedMediaType`` (type not accepted), ``ServiceUnavailable`` (no ffmpeg).
    """
    container = check_upload(audio, media_type, limits)
    samples = _read_wav(audio, limits) if container == "wav" else None
    if samples is None:
        samples = _run_ffmpeg(audio, container, limits)
    if samples.size == 0:
        raise Invalid("the audio clip holds no sound samples", error_codes.SPEECH_AUDIO_EMPTY)
    _check_duration(samples.size / SAMPLE_RATE, limits)
    return samples


def check_upload(audio: bytes, media_type: str, limits: AudioLimits) -> str:
    """The clip's container after the checks that need no decoding (type, size, header)."""
    container_of(media_type)
    if not audio:
        raise Invalid("the audio clip is empty", error_codes.SPEECH_AUDIO_EMPTY)
    if len(audio) > limits.max_bytes:
        raise PayloadTooLarge(
            f"the audio clip has {len(audio)} bytes; at most {limits.max_bytes} are accepted",
            error_codes.SPEECH_AUDIO_TOO_LARGE,
        )
    container = sniff(audio)
    if container is None:
        raise _corrupt("its first bytes are not a WAV, FLAC, OGG, WebM or MP3 header")
    return container


def _corrupt(reason: str) -> Invalid:
    return Invalid(f"the audio clip cannot be decoded: {reason}", error_codes.SPEECH_AUDIO_CORRUPT)


def _check_duration(seconds: float, limits: AudioLimits) -> None:
    if seconds > limits.max_seconds:
        raise Unprocessable(
            f"the audio clip lasts {seconds:.1f} s; at most {limits.max_seconds:g} s are accepted",
            error_codes.SPEECH_AUDIO_TOO_LONG,
        )


def _read_wav(audio: bytes, limits: AudioLimits) -> Samples | None:
    """PCM WAV read directly; None for a WAV codec the standard library does not read."""
    try:
        with wave.open(io.BytesIO(audio), "rb") as clip:
            channels, width, rate = clip.getnchannels(), clip.getsampwidth(), clip.getframerate()
            if not 1000 <= rate <= 384_000 or not 1 <= channels <= 8:
                raise _corrupt(f"implausible header ({rate} Hz, {channels} channels)")
            # Checked before reading, so a long clip is never read in full. A streamed WAV
            # (a recorder or ffmpeg writing to a pipe) has no real size in its header: the
            # bytes at hand bound the frame count then.
            frame_count = min(clip.getnframes(), len(audio) // (width * channels))
            _check_duration(frame_count / rate, limits)
            frames = clip.readframes(frame_count)
    except wave.Error as error:
        if str(error).startswith("unknown format"):
            return None  # float or extensible WAV: ffmpeg reads those
        raise _corrupt(str(error)) from None
    except EOFError:
        raise _corrupt("the WAV header is truncated") from None
    return _resample(_mono(_pcm_to_float(frames, width), channels), rate)


def _pcm_to_float(frames: bytes, width: int) -> Samples:
    usable = len(frames) - len(frames) % width  # a truncated last sample is dropped
    raw = np.frombuffer(frames[:usable], dtype=np.uint8)
    if width == 1:
        return ((raw.astype(np.float32) - 128.0) / 128.0).astype(np.float32)
    if width == 3:
        # 24-bit little-endian: widen each sample to 32 bits, keeping the sign in the top byte
        triples = raw.reshape(-1, 3).astype(np.int32)
        ints = (triples[:, 0] << 8) | (triples[:, 1] << 16) | (triples[:, 2] << 24)
        return (ints.astype(np.float32) / 2.0**31).astype(np.float32)
    if width == 2:
        return (raw.view(np.int16).astype(np.float32) / 2.0**15).astype(np.float32)
    if width == 4:
        return (raw.view(np.int32).astype(np.float32) / 2.0**31).astype(np.float32)
    raise _corrupt(f"{width}-byte samples")


def _mono(samples: Samples, channels: int) -> Samples:
    if channels == 1:
        return samples
    usable = samples.size - samples.size % channels
    mixed: Samples = samples[:usable].reshape(-1, channels).mean(axis=1, dtype=np.float32)
    return mixed


def _resample(samples: Samples, rate: int) -> Samples:
    """Linear interpolation to 16 kHz, after a low-pass when downsampling (against aliasing)."""
    if rate == SAMPLE_RATE or samples.size == 0:
        return samples
    if rate > SAMPLE_RATE:
        samples = _low_pass(samples, 0.45 * SAMPLE_RATE / rate)
    count = round(samples.size * SAMPLE_RATE / rate)
    positions = np.arange(count, dtype=np.float64) * (rate / SAMPLE_RATE)
    return np.interp(positions, np.arange(samples.size), samples).astype(np.float32)


def _low_pass(samples: Samples, cutoff: float, taps: int = 63) -> Samples:
    """A Hamming-windowed sinc filter; ``cutoff`` as a fraction of the sampling rate."""
    n = np.arange(taps) - (taps - 1) / 2
    kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(taps)
    kernel /= kernel.sum()
    return np.convolve(samples, kernel, mode="same").astype(np.float32)


def _run_ffmpeg(audio: bytes, container: str, limits: AudioLimits) -> Samples:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise ServiceUnavailable(
            "this server cannot decode compressed audio (ffmpeg is not installed); send WAV",
            error_codes.SPEECH_DECODER_MISSING,
        )
    # Decoding stops just past the limit, so an over-long clip is told apart without
    # decoding all of it.
    command = [
        ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error",
        "-protocol_whitelist", "pipe", "-f", _FFMPEG_DEMUXERS[container], "-i", "pipe:0",
        "-t", f"{limits.max_seconds + 1:g}", "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE),
        "-f", "s16le", "pipe:1",
    ]  # fmt: skip
    try:
        done = subprocess.run(  # noqa: S603 - a fixed argument list, no shell, input on stdin
            command, input=audio, capture_output=True, timeout=limits.decode_timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        raise _corrupt(f"decoding took over {limits.decode_timeout_s:g} s") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise _corrupt(f"{container}: {message[-1][:200] if message else 'ffmpeg failed'}")
    return _pcm_to_float(done.stdout, 2)
