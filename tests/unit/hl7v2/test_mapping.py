"""HL7 v2 to FHIR: the plan of writes one message turns into (no database)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from operations.hl7v2 import datatypes as dt
from operations.hl7v2.er7 import parse
from operations.hl7v2.messages import plan_message
from operations.hl7v2.plan import Plan
from operations.hl7v2.problems import Hl7Problem

FIXTURES = Path(__file__).parents[2] / "fixtures" / "hl7v2"
NOW = "2026-01-01T00:00:00Z"
MSH = "MSH|^~\\&|LAB|HOSP|NV|NV|20260101120000+0100||{kind}|{control}|P|2.5.1"


def _seg(name: str, values: dict[int, str]) -> str:
    """A segment from its non-empty fields by position (no counting of separators)."""
    fields = [""] * (max(values) + 1)
    for position, value in values.items():
        fields[position] = value
    return name + "|".join(fields)


def _plan(kind: str, *segments: str, control: str = "C1") -> Plan:
    text = "\r".join([MSH.format(kind=kind, control=control), *segments])
    return plan_message(parse(text), NOW)


def _one(plan: Plan, resource_type: str) -> dict[str, Any]:
    (found,) = [w.resource for w in plan.writes if w.resource_type == resource_type]
    return found


def _all(plan: Plan, resource_type: str) -> list[dict[str, Any]]:
    return [w.resource for w in plan.writes if w.resource_type == resource_type]


def test_adt_patient_demographics() -> None:
    plan = _plan(
        "ADT^A01",
        "PID|1||123^^^HOSP^MR~555-44-3333^^^SSA^SS||DOE^JANE^Q^JR^DR||19800102|F|||"
        "1 MAIN ST^APT 2^TOWN^ST^12345^USA^H||555-1234^PRN^PH~^NET^Internet^j@x.org|"
        "555-9999^WPN|en^English^ISO639" + "|" * 15 + "Y",
        _seg("PV1", {1: "1", 2: "I", 3: "W^1^A", 10: "MED", 19: "V42", 44: "20260101080000+0100"}),
    )
    patient = _one(plan, "Patient")
    assert patient["identifier"][0] == {
        "value": "123",
        "system": "urn:nutrivision:hl7v2:authority:HOSP",
        "type": {"coding": [{"system": dt.V2_TABLE + "0203", "code": "MR"}]},
    }
    assert patient["name"][0] == {"family": "DOE", "given": ["JANE", "Q"], "prefix": ["DR"],
                                  "suffix": ["JR"]}  # fmt: skip
    assert (patient["birthDate"], patient["gender"]) == ("1980-01-02", "female")
    assert patient["address"][0]["line"] == ["1 MAIN ST", "APT 2"]
    assert patient["address"][0]["use"] == "home"
    assert {t["system"] for t in patient["telecom"]} == {"phone", "email"}
    assert patient["communication"][0]["language"]["coding"][0]["code"] == "en"
    assert patient["deceasedBoolean"] is True
    encounter = _one(plan, "Encounter")
    assert encounter["class"]["code"] == "IMP"
    assert encounter["status"] == "in-progress"
    assert encounter["period"] == {"start": "2026-01-01T08:00:00+01:00"}
    assert encounter["subject"]["reference"].startswith("urn:uuid:")


def test_adt_discharge_and_cancel_set_encounter_status() -> None:
    pv1 = _seg("PV1", {2: "I", 19: "V42", 44: "20260101080000", 45: "20260103080000"})
    assert _one(_plan("ADT^A03", "PID|1||1^^^H^MR", pv1), "Encounter")["status"] == "finished"
    assert _one(_plan("ADT^A11", "PID|1||1^^^H^MR", pv1), "Encounter")["status"] == "cancelled"


def test_nk1_allergies_diagnoses_coverage() -> None:
    plan = _plan(
        "ADT^A08",
        "PID|1||9^^^H^MR||ROE^ANN",
        "NK1|1|ROE^BOB|SPO^Spouse^HL70063||555-1||C^Emergency Contact^HL70131",
        "AL1|1|FA|256349002^Peanut^SCT|SV|Anaphylaxis~Hives|20200101",
        "AL1|2|DA|^Penicillin|MO|Rash",
        "DG1|1||E11.9^Type 2 diabetes^I10||20190101|F",
        _seg("IN1", {1: "1", 2: "PLAN1", 3: "INS1", 4: "ACME Insurance", 36: "POL-7"}),
    )
    related = _one(plan, "RelatedPerson")
    codes = [c["coding"][0]["code"] for c in related["relationship"]]
    assert codes == ["SPO", "C"]
    peanut, penicillin = _all(plan, "AllergyIntolerance")
    assert peanut["code"]["coding"][0] == {"code": "256349002", "system": "http://snomed.info/sct",
                                           "display": "Peanut"}  # fmt: skip
    assert peanut["category"] == ["food"]
    assert peanut["criticality"] == "high"
    assert peanut["reaction"][0]["severity"] == "severe"
    assert penicillin["code"] == {"text": "Penicillin"}  # no code: the allergen is kept as text
    condition = _one(plan, "Condition")
    assert condition["code"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/icd-10"
    assert _one(plan, "Coverage")["subscriberId"] == "POL-7"


def test_oru_observations() -> None:
    plan = _plan(
        "ORU^R01",
        "PID|1||7^^^H^MR||DOE^J",
        "OBR|1|P1|F1|4548-4^HbA1c panel^LN|||20260101090000+0000||||||||||||||||||F",
        "OBX|1|NM|4548-4^Hemoglobin A1c^LN||7.9|%^percent^UCUM|4.0-5.6|H|||F",
        "NTE|1||Above target",
        "OBX|2|NM|2823-3^Potassium^LN||6.1|mmol/L|3.5-5.1|HH|||C",
        "OBX|3|SN|2345-7^Glucose^LN||>^400|mg/dL^^UCUM|<140|H|||F",
        "OBX|4|ST|8251-1^Comment^LN||free text|||||F",
    )
    hba1c, potassium, glucose, comment = _all(plan, "Observation")
    assert hba1c["valueQuantity"] == {"value": 7.9, "unit": "percent", "code": "%",
                                      "system": "http://unitsofmeasure.org"}  # fmt: skip
    assert hba1c["referenceRange"][0]["low"]["value"] == 4.0
    assert hba1c["referenceRange"][0]["high"]["value"] == 5.6
    assert hba1c["interpretation"][0]["coding"][0]["code"] == "H"
    assert hba1c["note"] == [{"text": "Above target"}]
    assert hba1c["effectiveDateTime"] == "2026-01-01T09:00:00+00:00"
    assert potassium["status"] == "corrected"
    assert glucose["valueQuantity"]["comparator"] == ">"
    assert glucose["referenceRange"][0]["high"]["value"] == 140
    assert comment["valueString"] == "free text"
    report = _one(plan, "DiagnosticReport")
    assert len(report["result"]) == 4
    assert report["status"] == "final"


def test_pharmacy_request_statement_dispense() -> None:
    plan = _plan(
        "RDS^O13",
        "PID|1||7^^^H^MR||DOE^J",
        "ORC|NW|P1|F1||||||20260101",
        "RXE|1^BID|860975^Metformin 500 MG^RXNORM|500||mg^^UCUM|||||||||||||||||Take with food",
        "RXR|PO^Oral^HL70162",
        "RXD|1|860975^Metformin 500 MG^RXNORM|20260102|60|TAB",
    )
    request = _one(plan, "MedicationRequest")
    assert request["status"] == "active"
    assert request["medicationCodeableConcept"]["coding"][0]["code"] == "860975"
    assert request["dosageInstruction"][0]["route"]["coding"][0]["code"] == "PO"
    statement = _one(plan, "MedicationStatement")
    assert statement["status"] == "active"
    dispense = _one(plan, "MedicationDispense")
    assert dispense["quantity"]["value"] == 60
    assert dispense["authorizingPrescription"][0]["reference"].startswith("urn:uuid:")


def test_every_message_has_header_and_provenance() -> None:
    plan = _plan("ADT^A04", "PID|1||1^^^H^MR")
    header, provenance = plan.writes[-2].resource, plan.writes[-1].resource
    assert header["eventCoding"]["code"] == "A04"
    assert len(header["focus"]) == 1
    assert provenance["entity"][0]["what"]["identifier"]["value"] == "HOSP|C1"
    assert provenance["recorded"] == NOW


@pytest.mark.parametrize(
    ("segments", "where"),
    [
        (("PID|1||||DOE^NAMEONLY",), "PID-3"),  # never matched by name
        (("PID|1||1^^^H^MR", "AL1|1|DA||SV"), "AL1-3"),  # an allergy is never dropped
    ],
)
def test_unmappable_content(segments: tuple[str, ...], where: str) -> None:
    with pytest.raises(Hl7Problem) as caught:
        _plan("ADT^A01", *segments)
    assert caught.value.location == where
    assert caught.value.ack == "AE"


def test_unsupported_type_is_refused() -> None:
    with pytest.raises(Hl7Problem) as caught:
        _plan("REF^I12", "PID|1||1^^^H^MR")
    assert (caught.value.ack, caught.value.condition) == ("AR", "200")


@pytest.mark.parametrize(
    "name", ["ORU-R01-01.hl7", "RDE-O11-01.hl7", "ADT-A40-01.hl7", "ADT_A01.hl7"]
)
def test_fixture_copies_map(name: str) -> None:
    plan = plan_message(parse((FIXTURES / name).read_bytes()), NOW)
    assert plan.writes[0].resource_type == "Patient"


def test_visit_without_number_is_the_same_encounter_in_every_message() -> None:
    pv1 = _seg("PV1", {2: "I", 44: "20260101080000"})
    first = _plan("ADT^A01", "PID|1||1^^^H^MR", pv1, control="X1")
    discharge = _plan("ADT^A03", "PID|1||1^^^H^MR", pv1, control="X2")
    reopened = _plan("ADT^A13", "PID|1||1^^^H^MR", pv1 + "|20260102080000", control="X3")
    ids = {p.writes[1].id for p in (first, discharge, reopened)}
    assert len(ids) == 1
    assert _one(reopened, "Encounter")["status"] == "in-progress"
    assert "end" not in _one(reopened, "Encounter")["period"]


def test_times_without_offset_take_the_senders_offset_from_msh7() -> None:
    obr = "OBR|1||F9|4548-4^HbA1c^LN|||20260101090000"
    plan = _plan("ORU^R01", "PID|1||1^^^H^MR", obr, "OBX|1|NM|4548-4^HbA1c^LN||7|%")
    assert _one(plan, "Observation")["effectiveDateTime"] == "2026-01-01T09:00:00+01:00"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20260301", "2026-03-01"),
        ("202603", "2026-03"),
        ("20260301235959+1400", "2026-03-01T23:59:59+14:00"),
        ("20261345", None),  # month 13
        ("19800230", None),  # 30 February
        ("00000101", None),  # year 0
        ("20260301240000", None),
        ("20260301120060", None),  # a leap second: Python's datetime cannot read it
        ("202603011200+9999", None),
        ("202603011200+0160", None),
    ],
)
def test_dates_off_the_calendar_are_no_value(raw: str, expected: str | None) -> None:
    assert dt.date_time(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("7", 7), ("+3", 3), ("-0.5", -0.5), (".5", 0.5), ("1.", 1.0), (" 12 ", 12)]
    + [(odd, None) for odd in ("NaN", "inf", "1e3", "1e400", "0x10", "1.2.3", "", "-")],
)
def test_numbers_are_v2_nm_only(raw: str, expected: float | None) -> None:
    found = dt.number(raw)
    assert found == expected
    assert type(found) is type(expected)


def test_ras_administration() -> None:
    plan = _plan(
        "RAS^O17",
        "PID|1||7^^^H^MR||DOE^J",
        "ORC|RE|P2|F2",
        "RXA|0|1|20260101080000+0000|20260101083000+0000|860975^Metformin^RXNORM|500|mg^^UCUM"
        + "|" * 13
        + "CP",
    )
    given = _one(plan, "MedicationAdministration")
    assert given["status"] == "completed"
    assert given["effectivePeriod"] == {
        "start": "2026-01-01T08:00:00+00:00",
        "end": "2026-01-01T08:30:00+00:00",
    }
    assert given["dosage"]["dose"]["value"] == 500


def test_iam_allergy_and_its_deletion() -> None:
    added = _plan("ADT^A60", "PID|1||7^^^H^MR", "IAM|1|FA|91935009^Peanut^SCT|SV|Hives|A")
    allergy = _one(added, "AllergyIntolerance")
    assert allergy["code"]["coding"][0]["code"] == "91935009"
    assert allergy["clinicalStatus"]["coding"][0]["code"] == "active"
    deleted = _plan("ADT^A60", "PID|1||7^^^H^MR", "IAM|1|FA|91935009^Peanut^SCT|SV|Hives|D")
    gone = _one(deleted, "AllergyIntolerance")
    assert gone["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert added.writes[1].id == deleted.writes[1].id  # the same allergy, updated
