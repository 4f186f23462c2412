"""Voice clips the speech tests make on the spot: espeak-ng speaks, Debian's ffmpeg converts."""

from __future__ import annotations

import functools
import shutil
import subprocess

from ml_ops.speech.synth import speak

EGGS = "I had two scrambled eggs and a slice of toast"
ENCODERS = {
    "flac": ("flac", ["-c:a", "flac"], "audio/flac"),
    "ogg": ("ogg", ["-c:a", "libopus"], "audio/ogg; codecs=opus"),
    "webm": ("webm", ["-c:a", "libopus"], "audio/webm"),
    "mp3": ("mp3", ["-c:a", "libmp3lame", "-b:a", "64k"], "audio/mpeg"),
}
"""Container: (ffmpeg muxer, encoder arguments, media type)."""


@functools.cache
def spoken(text: str, rate: int = 175) -> bytes:
    """``text`` spoken at ``rate`` words per minute, as WAV (cached for the test process)."""
    return speak(text, rate)


def convert(wav: bytes, muxer: str, *arguments: str) -> bytes:
    """``wav`` re-encoded by ffmpeg into ``muxer`` with the given output arguments."""
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "ffmpeg is needed (scripts/install installs it)"
    done = subprocess.run(
        [ffmpeg, "-nostdin", "-loglevel", "error", "-f", "wav", "-i", "pipe:0",
         *arguments, "-f", muxer, "pipe:1"],
        input=wav, capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return done.stdout


def encoded(container: str, text: str = EGGS, rate: int = 175) -> tuple[bytes, str]:
    """``text`` spoken and encoded as ``container``; with its media type."""
    muxer, arguments, media_type = ENCODERS[container]
    return convert(spoken(text, rate), muxer, *arguments), media_type


def words(text: str) -> list[str]:
    """Lower-case words and numbers of a transcript, punctuation dropped."""
    return [w.strip(".,!?;:") for w in text.lower().split()]
