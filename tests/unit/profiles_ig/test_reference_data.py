"""The Inferno US Core reference data against the R4 base definitions.

The server's validator does not hold US Core profiles, so the US Core profiles the resources
claim are reported as unknown (a warning) and not applied; the base rules are. Against
reconstructions of the US Core profiles: ``test_us_core.py``.
"""

from __future__ import annotations

import json

import pytest

from profiles_ig.validation import is_error, validate_resource
from tests.ig_data import SHARED

DATA = SHARED / "inferno-reference-server-data" / "resources"


def test_the_reference_data_is_valid_but_one_observation_with_period_stop() -> None:
    bundles = sorted(DATA.glob("uscore_bundle_patient_*.json"))
    if not bundles:
        pytest.skip("../shared/fixtures/inferno-reference-server-data is not here")
    rejected: dict[str, list[str]] = {}
    count = 0
    for path in bundles:
        for entry in json.loads(path.read_text(encoding="utf-8"))["entry"]:
            count += 1
            issues = validate_resource(entry["resource"])
            paths = [p for issue in issues if is_error(issue) for p in issue.expression]
            if paths:
                rejected[entry["resource"]["id"]] = paths
    assert count == 800
    # "stop" is not an element of Period ("end" is): a real error of the data
    assert rejected == {
        "3c766796-d8a0-480f-8215-f1e7e3afab21": ["Observation.effectivePeriod.stop"]
    }
