"""What ``$analyze-food`` gets from the composition root: its limits (from the settings) and
the photo and voice recognisers, when this process has them (``ml_ops.recognition``)."""

from __future__ import annotations

from typing import Any

from fhir_server.ml_services import ml_services
from fhir_server.settings import Settings
from operations.food_intake.limits import SERVICE_GATE, AnalysisGate, AnalysisLimits


def food_analysis_services(settings: Settings) -> dict[str, Any]:
    """The services of the operation, by name: the gate that applies the limits, and the
    recognisers under ``SERVICE_IMAGE`` and ``SERVICE_SPEECH`` (``fhir_server.ml_services``)."""
    limits = AnalysisLimits(
        max_upload_bytes=settings.analyze_food_max_upload_bytes,
        concurrency=settings.analyze_food_concurrency,
        timeout_s=settings.analyze_food_timeout_s,
        queue_wait_s=settings.analyze_food_queue_wait_s,
    )
    return {SERVICE_GATE: AnalysisGate(limits), **ml_services(settings)}
