"""Example resources copied into ``tests/fixtures/`` (CC0; see each folder's SOURCE.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
R4_EXAMPLES = FIXTURES / "fhir-r4-examples"
NUTRITION_INTAKE_EXAMPLE = FIXTURES / "fhir-r5-nutritionintake" / "NutritionIntake-example.json"


def load(path: Path) -> dict[str, Any]:
    """One example resource as parsed JSON."""
    value: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return value


def r4_example_paths() -> list[Path]:
    """Every copied R4 example, sorted by file name."""
    return sorted(R4_EXAMPLES.glob("*.json"))


def without_id(resource: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``resource`` without its ``id``, ready to POST."""
    return {k: v for k, v in resource.items() if k != "id"}
