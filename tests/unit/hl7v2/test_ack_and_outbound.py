"""ACKs, and the outbound ORU^R01 read back by our own inbound mapping (round trip)."""

from __future__ import annotations

from typing import Any

from operations.hl7v2.ack import ack
from operations.hl7v2.er7 import parse
from operations.hl7v2.messages import plan_message
from operations.hl7v2.oru_out import build_oru
from operations.hl7v2.problems import Hl7Problem

TEXT = "MSH|^~\\&|APP|FAC|NV|NVF|2026||ADT^A01|CTRL9|P|2.5\rPID|1||1^^^H^MR"


def test_aa_echoes_control_id_and_swaps_sender_and_receiver() -> None:
    answer = parse(ack(parse(TEXT), "AA"))
    assert answer.msh.get(3) == "NV"
    assert answer.msh.get(5) == "APP"
    msa = answer.one("MSA")
    assert msa is not None
    assert (msa.get(1), msa.get(2)) == ("AA", "CTRL9")
    assert answer.one("ERR") is None


def test_ae_has_err_with_segment_field_and_condition() -> None:
    problem = Hl7Problem("OBX-3 observation identifier is empty", "OBX", 3, "AE", "101", 4)
    err = parse(ack(parse(TEXT), "AE", problem)).one("ERR")
    assert err is not None
    assert (err.get(2, 1), err.get(2, 2), err.get(2, 3)) == ("OBX", "4", "3")
    assert err.get(3) == "101"
    assert err.get(4) == "E"
    assert "OBX-3" in err.get(8)


def test_ack_for_v23_uses_err_1() -> None:
    problem = Hl7Problem("bad", "PID", 3, "AE", "101")
    err = parse(ack(parse(TEXT.replace("|2.5", "|2.3")), "AE", problem)).one("ERR")
    assert err is not None
    assert err.get(1, 1) == "PID"
    assert err.get(1, 3) == "3"


V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "identifier": [{"system": "urn:nutrivision:hl7v2:authority:HOSP", "value": "MRN|7"}],
    "name": [{"family": "DOE", "given": ["JANE"]}],
    "birthDate": "1980-01-02",
    "gender": "female",
}
OBSERVATIONS: list[dict[str, Any]] = [
    {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4", "display": "HbA1c"}]},
        "valueQuantity": {
            "value": 7.9,
            "unit": "%",
            "code": "%",
            "system": "http://unitsofmeasure.org",
        },
        "referenceRange": [{"text": "4.0-5.6"}],
        "interpretation": [{"coding": [{"system": V3, "code": "H"}]}],
        "effectiveDateTime": "2026-01-01T09:00:00+01:00",
        "note": [{"text": "line one\nline two ^ with | separators"}],
    },
    {
        "resourceType": "Observation",
        "status": "preliminary",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}], "text": "K"},
        "valueQuantity": {
            "value": 6.1,
            "unit": "mmol/L",
            "code": "mmol/L",
            "system": "http://unitsofmeasure.org",
        },
        "interpretation": [{"coding": [{"system": V3, "code": "HH"}]}],
    },
]


def test_outbound_oru_round_trips() -> None:
    text = build_oru(PATIENT, OBSERVATIONS, {"code": {"text": "Panel"}, "status": "final"}, "OUT1")
    plan = plan_message(parse(text), "2026-01-01T00:00:00Z")
    patient = plan.writes[0].resource
    assert patient["identifier"][0]["system"] == PATIENT["identifier"][0]["system"]
    assert patient["identifier"][0]["value"] == "MRN|7"
    assert (patient["birthDate"], patient["gender"]) == ("1980-01-02", "female")
    back = [w.resource for w in plan.writes if w.resource_type == "Observation"]
    for original, read in zip(OBSERVATIONS, back, strict=True):
        for key in ("status", "valueQuantity", "interpretation"):
            assert read[key] == original[key]
        assert read["code"]["coding"][0]["code"] == original["code"]["coding"][0]["code"]
        assert read["code"]["coding"][0]["system"] == "http://loinc.org"
    assert back[0]["effectiveDateTime"] == OBSERVATIONS[0]["effectiveDateTime"]
    assert back[0]["note"] == OBSERVATIONS[0]["note"]
    assert back[0]["referenceRange"][0]["low"]["value"] == 4.0
    assert back[1]["code"]["text"] == "K"
