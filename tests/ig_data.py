"""Test data of the implementation guide (``tests/fixtures/ig/``, see its SOURCE.md)."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

from profiles_ig.canonical import profile_url

IG_FIXTURES = Path(__file__).parent / "fixtures" / "ig"
SHARED = Path(
    os.environ.get("NUTRIVISION_SHARED_FIXTURES")
    or Path(__file__).resolve().parents[2] / "shared" / "fixtures"
)
"""``../shared/fixtures`` from the repository root (or where the variable says)."""
R4_EXAMPLES_SHARED = SHARED / "fhir-r4-examples" / "resources"
REJECTED_EXAMPLES = {
    "MedicationRequest-medrx0301.json": "MedicationRequest.dispenseRequest.performer.reference",
    "Observation-clinical-gender.json": "Observation.performer[0].reference",
    "Questionnaire-qs1.json": "Questionnaire.item[0].item[0].linkId",
}
"""Spec examples with real errors, and the path of the first one."""


def profiled(name: str) -> dict[str, Any]:
    """A fresh copy of the resource conforming to our profile ``name`` (``nv-patient``)."""
    data: dict[str, Any] = json.loads((IG_FIXTURES / "profiled" / f"{name}.json").read_text())
    return copy.deepcopy(data)


def profiled_names() -> list[str]:
    """The profile ids that have a conforming example."""
    return sorted(p.stem for p in (IG_FIXTURES / "profiled").glob("*.json"))


def url(name: str) -> str:
    """The canonical URL of our profile ``name``."""
    return profile_url(name)
