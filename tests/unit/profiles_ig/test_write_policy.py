"""Profile validation on write: enforce refuses, warn logs, off lets through."""

from __future__ import annotations

import pytest

from profiles_ig.write_policy import DEFAULT_MODES, WritePolicy
from resources import error_codes
from resources.errors import Unprocessable
from tests.ig_data import profiled


def _broken_allergy() -> dict[str, object]:
    allergy = profiled("nv-allergy-intolerance")
    del allergy["code"]  # the profile requires it; the base does not
    return allergy


def test_the_defaults_enforce_the_types_the_safety_checks_read() -> None:
    assert set(DEFAULT_MODES) == {"NutritionIntake", "AllergyIntolerance", "Condition"}
    assert WritePolicy().mode("Patient") == "off"


def test_enforce_refuses_a_resource_breaking_its_claimed_profile() -> None:
    with pytest.raises(Unprocessable) as caught:
        WritePolicy({"AllergyIntolerance": "enforce"}).check(
            "AllergyIntolerance", _broken_allergy()
        )
    assert caught.value.nv_code == error_codes.PROFILE_VALIDATION_FAILED
    assert [i.expression for i in caught.value.issues] == [("AllergyIntolerance.code",)]


def test_enforce_accepts_a_plain_base_resource_without_profile_claims() -> None:
    allergy = _broken_allergy()
    del allergy["meta"]
    WritePolicy({"AllergyIntolerance": "enforce"}).check("AllergyIntolerance", allergy)


def test_warn_logs_and_off_does_nothing(caplog: pytest.LogCaptureFixture) -> None:
    WritePolicy({"AllergyIntolerance": "warn"}).check("AllergyIntolerance", _broken_allergy())
    assert "validation error" in caplog.text
    caplog.clear()
    WritePolicy({"AllergyIntolerance": "off"}).check("AllergyIntolerance", _broken_allergy())
    assert caplog.text == ""
