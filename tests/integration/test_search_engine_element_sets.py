"""``element_sets.py`` (the elements ``_summary`` and ``_elements`` keep) is what its generator
makes of the specification's StructureDefinitions in the shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from fhir_server.store import build_element_sets
from fhir_server.store.element_sets import MANDATORY, SUMMARY

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures"
DEFINITIONS = FIXTURES / "fhir-r4-definitions"
NUTRITION = FIXTURES / "fhir-r5-nutritionintake"


@pytest.mark.skipif(not DEFINITIONS.is_dir(), reason="the shared fixtures are not here")
def test_element_sets_are_generated_from_the_definitions() -> None:
    generated = build_element_sets.build(DEFINITIONS, NUTRITION)
    assert generated.splitlines()[:3] == build_element_sets.TARGET.read_text().splitlines()[:3]
    namespace: dict[str, object] = {}
    exec(compile(generated, "element_sets", "exec"), namespace)  # noqa: S102 - our own output
    assert namespace["SUMMARY"] == SUMMARY
    assert namespace["MANDATORY"] == MANDATORY
