"""Running a check with its metrics: count, findings by kind and severity, latency."""

from __future__ import annotations

import time
from collections.abc import Sequence

from operations.safety.engine import run_check
from operations.safety.metrics import CHECKS, FINDINGS, LATENCY
from operations.safety.model import AllergyInput, CheckResult, FoodInput, MedicationInput


def checked(
    trigger: str,
    foods: Sequence[FoodInput],
    medications: Sequence[MedicationInput],
    allergies: Sequence[AllergyInput],
) -> CheckResult:
    """``run_check`` counted and timed under ``trigger`` (operation, write)."""
    started = time.perf_counter()
    result = run_check(foods, medications, allergies)
    LATENCY.labels(trigger).observe(time.perf_counter() - started)
    CHECKS.labels(trigger, "findings" if result.findings else "clear").inc()
    for finding in result.findings:
        FINDINGS.labels(finding.kind, finding.severity).inc()
    return result
