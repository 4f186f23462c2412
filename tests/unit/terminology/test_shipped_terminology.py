"""The shipped terminology: FHIR R4 content, ICD-10-CM, the LOINC subset."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from terminology.codesystems import catalog
from terminology.codesystems.build import compact_resources
from terminology.codesystems.catalog import DATA_FILE
from terminology.icd10cm import SYSTEM as ICD10CM
from terminology.icd10cm import check_icd10cm_codes, code_system
from terminology.loinc import resource as loinc_resource

SHARED = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "fhir-r4-definitions"
SHIPPED = Path(__file__).resolve().parents[3] / "terminology" / "codesystems" / "data" / DATA_FILE


def test_fhir_content_is_there() -> None:
    shipped = catalog()
    gender = shipped.code_system("http://hl7.org/fhir/administrative-gender")
    assert gender is not None
    assert [c.code for c in gender] == ["male", "female", "other", "unknown"]
    assert shipped.value_set("http://hl7.org/fhir/ValueSet/administrative-gender") is not None
    assert len(shipped.urls("CodeSystem")) > 490
    assert len(shipped.urls("ValueSet")) > 650
    assert "http://hl7.org/fhir/ConceptMap/cm-composition-status-v3" in shipped.urls("ConceptMap")


def test_the_shipped_copy_is_the_build_of_the_specification_files() -> None:
    if not SHARED.exists():
        pytest.skip("../shared/fixtures/fhir-r4-definitions is not here")
    built = list(compact_resources(SHARED))
    shipped = json.loads(gzip.decompress(SHIPPED.read_bytes()))
    assert shipped == json.loads(json.dumps(built))


def test_icd10cm_known_codes() -> None:
    index = code_system()
    assert index.version == "2026"
    concept = index.get("E11.9")
    assert concept is not None
    assert concept.display == "Type 2 diabetes mellitus without complications"
    assert index.is_leaf("E11.9")
    assert not index.is_leaf("E11")
    assert index.get("E11.999") is None
    assert index.is_a("E11.9", "E08-E13")
    assert index.get("S72.001A") is not None  # seventh-character codes are there
    assert len(index) > 98_000


def test_icd10cm_matches_the_package_when_installed() -> None:
    cm = pytest.importorskip("simple_icd_10_cm")
    index = code_system()
    for code in ("E11.9", "I10", "E66.01", "N18.3", "K90.0", "Z71.3", "T78.01XA"):
        concept = index.get(code)
        assert concept is not None, code
        assert concept.display == " ".join(cm.get_description(code).split())
        assert index.is_leaf(code) == cm.is_leaf(code)
    sample = cm.get_all_codes(with_dots=True)[::997]
    assert all(index.get(code) is not None for code in sample)


@pytest.mark.parametrize(
    ("invalid", "non_leaf", "code", "errors", "warnings"),
    [
        ("reject", "warn", "E11.9", 0, 0),
        ("reject", "warn", "E11", 0, 1),
        ("reject", "warn", "E11.999", 1, 0),
        ("warn", "warn", "E11.999", 0, 1),
        ("off", "off", "E11.999", 0, 0),
        ("reject", "reject", "E11", 1, 0),
        ("reject", "off", "E11", 0, 0),
    ],
)
def test_icd10cm_check_modes(
    invalid: str, non_leaf: str, code: str, errors: int, warnings: int
) -> None:
    resource = {
        "resourceType": "Condition",
        "code": {"coding": [{"system": ICD10CM, "code": code}]},
    }
    found = check_icd10cm_codes("Condition", resource, invalid, non_leaf)  # type: ignore[arg-type]
    assert (len(found.errors), len(found.warnings)) == (errors, warnings)
    for issue in [*found.errors, *found.warnings]:
        assert code in issue.diagnostics


def test_loinc_subset_codes_are_well_formed_and_sourced() -> None:
    subset = loinc_resource()
    assert subset["content"] == "fragment"
    assert "Regenstrief" in subset["copyright"]
    codes = [c["code"] for c in subset["concept"]]
    assert len(codes) == len(set(codes))
    for concept in subset["concept"]:
        number, check = concept["code"].split("-")
        assert _mod10(number) == int(check), concept["code"]
        sources = [p["valueCode"] for p in concept["property"] if p["code"] == "source"]
        assert sources, concept["code"]
    for needed in (
        "4548-4",
        "2345-7",
        "2093-3",
        "2823-3",
        "2951-2",
        "2160-0",
        "33914-3",
        "29463-7",
        "8302-2",
        "39156-5",
    ):
        assert needed in codes


def _mod10(number: str) -> int:
    """LOINC's check digit (Luhn mod 10 over the digits before the hyphen)."""
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10
