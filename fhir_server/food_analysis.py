"""What ``$analyze-food`` gets from the composition root: its limits (from the settings) and
the photo and voice recognisers, when this process has them (``ml_ops.recognition``)."""

from __future__ import annotations

import logging
from typing import Any

from fhir_server.settings import Settings
from ml_ops.recognition import SERVICE_SPEECH
from ml_ops.speech.recogniser import load_recogniser
from operations.food_intake.limits import SERVICE_GATE, AnalysisGate, AnalysisLimits
from resources.errors import ServiceUnavailable

log = logging.getLogger(__name__)


def food_analysis_services(settings: Settings) -> dict[str, Any]:
    """The services of the operation, by name: the gate that applies the limits. The
    recognisers are added here under ``SERVICE_IMAGE`` and ``SERVICE_SPEECH``."""
    limits = AnalysisLimits(
        max_upload_bytes=settings.analyze_food_max_upload_bytes,
        concurrency=settings.analyze_food_concurrency,
        timeout_s=settings.analyze_food_timeout_s,
        queue_wait_s=settings.analyze_food_queue_wait_s,
    )
    services: dict[str, Any] = {SERVICE_GATE: AnalysisGate(limits)}
    try:
        services[SERVICE_SPEECH] = load_recogniser(background=settings.analyze_food_preload)
    except ServiceUnavailable as missing:  # no weights package: voice requests get a 503
        log.warning("voice analysis unavailable: %s", missing.message)
    return services
