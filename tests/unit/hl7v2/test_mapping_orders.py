"""ORM/OML, VXU, MDM and SIU to FHIR: the plan of writes (no database)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from operations.hl7v2.er7 import parse
from operations.hl7v2.messages import plan_message
from operations.hl7v2.plan import Plan
from operations.hl7v2.problems import Hl7Problem

NOW = "2026-01-01T00:00:00Z"
MSH = "MSH|^~\\&|APP|HOSP|NV|NV|20260101120000+0100||{kind}|C1|P|2.5.1"
PID = "PID|1||M1^^^HOSP^MR||DOE^JANE||19800102|F"


def _plan(kind: str, *segments: str) -> Plan:
    return plan_message(parse("\r".join([MSH.format(kind=kind), PID, *segments])), NOW)


def _one(plan: Plan, resource_type: str) -> dict[str, Any]:
    (found,) = [w.resource for w in plan.writes if w.resource_type == resource_type]
    return found


def _problem(kind: str, *segments: str) -> Hl7Problem:
    with pytest.raises(Hl7Problem) as caught:
        _plan(kind, *segments)
    return caught.value


def test_orm_order_becomes_a_service_request() -> None:
    plan = _plan(
        "ORM^O01",
        "ORC|NW|P100^APP|F200^LAB||SC||||20260101101500|||1234^SMITH^ANN",
        "OBR|1|P100^APP|F200^LAB|4548-4^Hemoglobin A1c^LN|S",
        "NTE|1||fasting",
    )
    request = _one(plan, "ServiceRequest")
    assert request["code"]["coding"][0] == {
        "code": "4548-4",
        "system": "http://loinc.org",
        "display": "Hemoglobin A1c",
    }
    assert [i["value"] for i in request["identifier"]] == ["P100", "F200"]
    assert [i["type"]["coding"][0]["code"] for i in request["identifier"]] == ["PLAC", "FILL"]
    assert (request["status"], request["intent"], request["priority"]) == (
        "active",
        "order",
        "stat",
    )
    assert request["authoredOn"] == "2026-01-01T10:15:00+01:00"
    assert request["requester"] == {"display": "ANN SMITH"}
    assert request["note"] == [{"text": "fasting"}]


def test_cancelled_order_is_revoked_and_keeps_its_id() -> None:
    new = _plan("ORM^O01", "ORC|NW|P1||", "OBR|1|P1||4548-4^A1c^LN")
    cancel = _plan("ORM^O01", "ORC|CA|P1||", "OBR|1|P1||4548-4^A1c^LN")
    assert _one(cancel, "ServiceRequest")["status"] == "revoked"
    ids = {w.id for p in (new, cancel) for w in p.writes if w.resource_type == "ServiceRequest"}
    assert len(ids) == 1  # the cancellation updates the order, it does not add one


def test_order_keeps_the_allergies_it_carries() -> None:
    plan = _plan(
        "OML^O21", "AL1|1|FA|256349002^Peanut^SCT|SV", "ORC|NW|P2", "OBR|1|P2||2345-7^Glu^LN"
    )
    assert _one(plan, "AllergyIntolerance")["code"]["coding"][0]["code"] == "256349002"


def test_dietary_order_becomes_a_nutrition_order() -> None:
    plan = _plan("ORM^O01", "ORC|NW|D1|||||||20260101080000", "ODS|D||DIAB^Diabetic diet^L")
    order = _one(plan, "NutritionOrder")
    assert order["oralDiet"]["type"][0]["coding"][0]["code"] == "DIAB"
    assert order["patient"]["reference"].startswith("urn:uuid:")


def test_order_without_orc_or_obr_is_ae() -> None:
    assert _problem("ORM^O01", "PV1|1|O").location == "ORC"


VXU_RXA = (
    "RXA|0|1|20260105093000||08^Hep B, adolescent or pediatric^CVX|0.5|mL^mL^UCUM||00^New^NIP001"
    "|77^NURSE^NORA|||||LOT42|20270101|MSD^Merck^MVX|||CP|A"
)


def test_vxu_administration_becomes_an_immunization() -> None:
    plan = _plan(
        "VXU^V04",
        "ORC|RE|O1|F9",
        VXU_RXA,
        "RXR|C28161^Intramuscular^NCIT|LA^Left Arm^HL70163",
        "OBX|1|CE|64994-7^Eligibility^LN|1|V02^Medicaid^HL70064||||||F",
        "OBX|2|CE|69764-9^Document Type^LN|2|253088698300^Hep B VIS^cdcgs1vis||||||F",
        "OBX|3|DT|29769-7^Date VIS presented^LN|2|20260105||||||F",
    )
    shot = _one(plan, "Immunization")
    assert shot["vaccineCode"]["coding"][0]["code"] == "08"
    assert shot["vaccineCode"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/cvx"
    assert (shot["status"], shot["primarySource"]) == ("completed", True)
    assert shot["occurrenceDateTime"] == "2026-01-05T09:30:00+01:00"
    assert (shot["lotNumber"], shot["expirationDate"]) == ("LOT42", "2027-01-01")
    assert shot["doseQuantity"]["value"] == 0.5
    assert shot["route"]["coding"][0]["code"] == "C28161"
    assert shot["site"]["coding"][0]["code"] == "LA"
    assert shot["programEligibility"][0]["coding"][0]["code"] == "V02"
    assert shot["education"] == [{"documentType": "Hep B VIS", "presentationDate": "2026-01-05"}]
    assert not [w for w in plan.writes if w.resource_type == "Observation"]


def test_refused_and_historical_immunizations() -> None:
    refused = VXU_RXA.replace("|CP|A", "|RE|A").replace(
        "MSD^Merck^MVX||", "MSD^Merck^MVX|00^Parental decision^NIP002|"
    )
    assert _one(_plan("VXU^V04", refused), "Immunization")["status"] == "not-done"
    historical = VXU_RXA.replace("00^New^NIP001", "01^Historical^NIP001")
    assert _one(_plan("VXU^V04", historical), "Immunization")["primarySource"] is False


def test_vaccine_without_code_is_ae_naming_rxa_5() -> None:
    problem = _problem("VXU^V04", "RXA|0|1|20260105||")
    assert problem.location == "RXA-5"


def test_mdm_document_becomes_a_document_reference() -> None:
    plan = _plan(
        "MDM^T02",
        "TXA|1|DS^Discharge summary^HL70270|TX|20260102080000||20260102090000|||9^WHO^WILL|"
        "||DOC-7|||||AU",
        "OBX|1|TX|18842-5^Discharge summary^LN||Low-sodium diet.||||||F",
        "OBX|2|TX|18842-5^Discharge summary^LN||Follow up in 2 weeks.||||||F",
    )
    doc = _one(plan, "DocumentReference")
    assert doc["type"]["coding"][0]["code"] == "DS"
    assert (doc["status"], doc["docStatus"]) == ("current", "final")
    assert doc["masterIdentifier"]["value"] == "DOC-7"
    attachment = doc["content"][0]["attachment"]
    assert attachment["contentType"] == "text/plain"
    text = base64.b64decode(attachment["data"]).decode()
    assert text == "Low-sodium diet.\nFollow up in 2 weeks."
    assert doc["author"] == [{"display": "WILL WHO"}]
    assert not [w for w in plan.writes if w.resource_type == "Observation"]


def test_mdm_cancel_and_missing_txa() -> None:
    cancel = _plan("MDM^T11", "TXA|1|DS|TX||||||||||DOC-7")
    assert _one(cancel, "DocumentReference")["status"] == "entered-in-error"
    assert _problem("MDM^T02", "OBX|1|TX|x^y^L||text").location == "TXA"


def test_siu_booking_becomes_an_appointment() -> None:
    plan = _plan(
        "SIU^S12",
        "SCH|A1^APP|B2^SCHED|||||ROUTINE^Routine^HL70276|||||||||||||||||Booked",
        "AIS|1||DIET^Dietitian consult^L|20260110100000|||30|MIN",
        "AIL|1||CLINIC^^^^^^^^Nutrition clinic",
        "AIP|1||55^KHAN^SARA",
    )
    visit = _one(plan, "Appointment")
    assert visit["status"] == "booked"
    assert visit["start"] == "2026-01-10T10:00:00+01:00"
    assert visit["end"] == "2026-01-10T10:30:00+01:00"
    assert visit["minutesDuration"] == 30
    assert visit["appointmentType"]["coding"][0]["code"] == "ROUTINE"
    assert visit["serviceType"][0]["coding"][0]["code"] == "DIET"
    assert [i["value"] for i in visit["identifier"]] == ["A1", "B2"]
    actors = [p["actor"].get("display") for p in visit["participant"][1:]]
    assert actors == ["Nutrition clinic", "SARA KHAN"]


def test_siu_cancel_and_booking_without_time() -> None:
    cancelled = _plan("SIU^S15", "SCH|A1^APP|B2^SCHED")
    assert _one(cancelled, "Appointment")["status"] == "cancelled"  # no time needed
    assert _problem("SIU^S12", "SCH|A1^APP|B2^SCHED").location == "SCH-11"


def test_mdm_encapsulated_pdf_is_kept_and_a_placeholder_is_ae() -> None:
    pdf = base64.b64encode(b"%PDF-1.4 note").decode()
    plan = _plan("MDM^T02", "TXA|1|DS|TX", f"OBX|1|ED|x^Note^L||^application^pdf^Base64^{pdf}")
    (content,) = _one(plan, "DocumentReference")["content"]
    assert content["attachment"]["contentType"] == "application/pdf"
    assert content["attachment"]["data"] == pdf
    bad = "OBX|1|ED|x^Note^L||^application^pdf^Base64^<Base64 encoded>"
    assert _problem("MDM^T02", "TXA|1|DS|TX", bad).location == "OBX-5"
