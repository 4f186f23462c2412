"""The recognisers the server offers to ``$analyze-food``: the photo analyser, loaded from
the model registry, and the voice recogniser, from the weights package.

The registry entry (a small JSON file) is read at start, so ``/ready`` and the
CapabilityStatement can name the model at once; the ONNX session and the Whisper model load in
background threads, so start-up stays fast. A photo that arrives before its model is loaded
waits a little, then gets a 503; a clip waits for its model.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from fhir_server.settings import Settings
from ml_ops import registry
from ml_ops.recognition import SERVICE_IMAGE, SERVICE_SPEECH, ImageAnalysis
from ml_ops.speech.recogniser import load_recogniser
from ml_ops.vision import analyser
from resources import error_codes
from resources.errors import ServiceUnavailable

log = logging.getLogger(__name__)
LOAD_WAIT_S = 30.0


@runtime_checkable
class ServedModel(Protocol):
    """A recogniser that names its model and says whether it is loaded."""

    @property
    def reference(self) -> str:
        """``name@version``."""

    def status(self) -> dict[str, Any]:
        """``{"status": pass|warn|fail, "model": name@version}`` for ``/ready``."""


class BackgroundAnalyser:
    """A ``FoodImageAnalyser`` whose model loads in a thread started at construction."""

    def __init__(
        self, folder: Path, config: analyser.AnalyserConfig | None, entry: registry.ModelEntry
    ):
        self.folder = folder
        self.config = config
        self.reference = entry.reference
        self._loaded = threading.Event()
        self._inner: analyser.VisionAnalyser | None = None
        self._error: str | None = None
        # Not a daemon: exiting while onnxruntime builds its session aborts the process
        # (``std::terminate``, exit status 134); exit waits for the load instead.
        threading.Thread(target=self._load, name="vision-model-load").start()

    def _load(self) -> None:
        try:
            self._inner = analyser.load(self.folder, self.config)
        except Exception as error:  # reported by status() and as a 503, not a crash at start
            self._error = f"{type(error).__name__}: {error}"
            log.error("vision model %s could not be loaded: %s", self.reference, self._error)
        finally:
            self._loaded.set()

    def status(self) -> dict[str, Any]:
        """``{"status": pass|warn|fail, "model": name@version}`` for ``/ready``."""
        state = "warn" if not self._loaded.is_set() else "fail" if self._inner is None else "pass"
        result: dict[str, Any] = {"status": state, "model": self.reference}
        if self._error:
            result["error"] = self._error
        return result

    def analyse(
        self,
        image: bytes,
        media_type: str,
        *,
        plate_diameter_cm: float | None = None,
        depth: bytes | None = None,
    ) -> ImageAnalysis:
        """See ``ml_ops.recognition.FoodImageAnalyser``."""
        self._loaded.wait(LOAD_WAIT_S)
        if self._inner is None:
            raise ServiceUnavailable(
                f"the vision model {self.reference} is not loaded", error_codes.VISION_MODEL_MISSING
            )
        return self._inner.analyse(
            image, media_type, plate_diameter_cm=plate_diameter_cm, depth=depth
        )


def ml_services(settings: Settings) -> dict[str, Any]:
    """The photo analyser and the voice recogniser this process has, by service name."""
    return {**_image_services(settings), **_speech_services(settings)}


def _speech_services(settings: Settings) -> dict[str, Any]:
    try:
        return {SERVICE_SPEECH: load_recogniser(background=settings.analyze_food_preload)}
    except ServiceUnavailable as missing:  # no weights package: voice requests get a 503
        log.warning("no voice recogniser: %s", missing.message)
        return {}


def _image_services(settings: Settings) -> dict[str, Any]:
    if not settings.vision_enabled:
        return {}
    folder = settings.vision_models_dir or analyser.models_folder()
    try:
        entry = registry.latest(folder, analyser.MODEL_NAME)
    except registry.RegistryError as error:
        log.warning("no photo analyser: %s", error)
        return {}
    threshold = float(entry.details.get("threshold", analyser.AnalyserConfig.threshold))
    config = analyser.AnalyserConfig(
        threshold=threshold,
        default_plate_cm=settings.vision_plate_diameter_cm,
        concurrency=settings.vision_concurrency,
    )
    return {SERVICE_IMAGE: BackgroundAnalyser(folder, config, entry)}


def model_status(services: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The status of each served model, by service name (for ``/ready``)."""
    return {
        name: service.status()
        for name, service in services.items()
        if isinstance(service, ServedModel)
    }


def model_references(services: dict[str, Any]) -> dict[str, str]:
    """``name@version`` of each served model, by service name (for the CapabilityStatement)."""
    return {
        name: service.reference
        for name, service in services.items()
        if isinstance(service, ServedModel)
    }
