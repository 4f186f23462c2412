"""Speech synthesised with Debian's ``espeak-ng``: test and evaluation clips made on the spot."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


class SynthesiserMissing(RuntimeError):
    """espeak-ng is not installed (``apt-get install espeak-ng``)."""


def espeak_available() -> bool:
    """Whether ``espeak-ng`` is on the PATH."""
    return shutil.which("espeak-ng") is not None


def speak(text: str, rate: int = 175, voice: str = "en-us") -> bytes:
    """A WAV clip (22,050 Hz, 16-bit mono) of ``text`` spoken at ``rate`` words per minute."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise SynthesiserMissing("espeak-ng is not installed")
    with tempfile.TemporaryDirectory(prefix="nutrivision-speak-") as folder:
        path = Path(folder) / "clip.wav"
        # A file rather than stdout: espeak-ng writes a WAV header without sizes to a pipe.
        subprocess.run(  # noqa: S603 - a fixed argument list, no shell
            [espeak, "-v", voice, "-s", str(rate), "-w", str(path), text],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return path.read_bytes()
