"""The MLLP listener end to end: ACKs, errors, duplicates, merges, recovery, $process-hl7v2."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from operations.hl7v2.er7 import parse
from tests.integration.hl7v2.client import AUTHORITY, FIXTURES, fields, message, send, send_raw
from tests.integration.hl7v2.conftest import Harness

pytestmark = pytest.mark.integration


def _patient_segments(mrn: str, family: str = "DOE") -> str:
    return (
        f"PID|1||{mrn}^^^HOSP^MR||{family}^JANE^Q||19800102|F|||"
        "1 MAIN ST^^TOWN^ST^12345||555-1234\n"
        "PV1|1|I|WARD^1^A||||||||||||||||V-" + mrn + "|||||||||||||||||||||||||20260101080000+0000"
    )


def _ids(client: httpx.Client, identifier: str) -> list[str]:
    found = client.get("/Patient", params={"identifier": identifier}).json()
    return [e["resource"]["id"] for e in found.get("entry", [])]


def test_adt_is_acknowledged_and_written(mllp: Harness, client: httpx.Client) -> None:
    mrn = f"MRN{uuid.uuid4().hex[:8]}"
    control = f"C{uuid.uuid4().hex[:10]}"
    body = _patient_segments(mrn) + "\nAL1|1|DA|70618^Penicillin^RXNORM|SV|Anaphylaxis~Hives\n"
    ack = send(mllp.port, message(control, body))
    msa = fields(ack, "MSA")
    assert msa[1:3] == ["AA", control]
    ids = _ids(client, f"{AUTHORITY}|{mrn}")
    assert len(ids) == 1
    patient = client.get(f"/Patient/{ids[0]}").json()
    assert patient["birthDate"] == "1980-01-02"
    assert patient["gender"] == "female"
    assert patient["name"][0]["family"] == "DOE"
    allergies = client.get("/AllergyIntolerance", params={"patient": f"Patient/{ids[0]}"}).json()
    allergy = allergies["entry"][0]["resource"]
    assert allergy["code"]["coding"][0]["code"] == "70618"
    assert allergy["criticality"] == "high"
    assert [m["text"] for m in allergy["reaction"][0]["manifestation"]] == ["Anaphylaxis", "Hives"]


def test_same_message_twice_changes_nothing(mllp: Harness, client: httpx.Client) -> None:
    mrn = f"MRN{uuid.uuid4().hex[:8]}"
    text = message(f"D{uuid.uuid4().hex[:10]}", _patient_segments(mrn))
    first = send(mllp.port, text)
    (patient_id,) = _ids(client, f"{AUTHORITY}|{mrn}")
    versions = client.get(f"/Patient/{patient_id}/_history").json()["total"]
    second = send(mllp.port, text)
    assert fields(second, "MSA")[1] == "AA"
    assert first == second  # the stored ACK, not a new one
    assert client.get(f"/Patient/{patient_id}/_history").json()["total"] == versions


def test_a40_merge_old_identifier_finds_survivor(mllp: Harness, client: httpx.Client) -> None:
    old, new = f"OLD{uuid.uuid4().hex[:8]}", f"NEW{uuid.uuid4().hex[:8]}"
    allergy = "\nAL1|1|FA|256349002^Peanut^SCT|SV|Anaphylaxis"
    send(mllp.port, message(f"M1{old}", _patient_segments(old, "OLDNAME") + allergy))
    send(mllp.port, message(f"M2{new}", _patient_segments(new, "NEWNAME")))
    (survivor,) = _ids(client, f"{AUTHORITY}|{new}")
    merge = f"EVN|A40|20260101\nPID|1||{new}^^^HOSP^MR||NEWNAME^JANE\nMRG|{old}^^^HOSP^MR"
    ack = send(mllp.port, message(f"M3{old}", merge, "ADT^A40"))
    assert fields(ack, "MSA")[1] == "AA"
    assert _ids(client, f"{AUTHORITY}|{old}") == [survivor]
    # the old record's peanut allergy now belongs to the survivor: checks must not miss it
    found = client.get("/AllergyIntolerance", params={"patient": f"Patient/{survivor}"}).json()
    codes = [e["resource"]["code"]["coding"][0]["code"] for e in found.get("entry", [])]
    assert codes == ["256349002"]
    retired = client.get("/Patient", params={"name": "OLDNAME"}).json()["entry"][0]["resource"]
    assert retired["active"] is False
    assert retired["link"][0] == {
        "other": {"reference": f"Patient/{survivor}"},
        "type": "replaced-by",
    }


@pytest.mark.parametrize(
    ("raw", "location"),
    [
        ("MSX|^~\\&|A|B|C|D|2026||ADT^A01|X|P|2.5\rPID|1||1^^^H^MR\r", "MSH^1^1"),
        ("MSH|^^\\&|A|B|C|D|2026||ADT^A01|X|P|2.5\rPID|1||1^^^H^MR\r", "MSH^1^2"),
        ("MSH|^~\\&|A|B|C|D|2026||ADT^A01|X|P|9.9\rPID|1||1^^^H^MR\r", "MSH^1^12"),
        ("MSH|^~\\&|A|B|C|D|2026||REF^I12|X|P|2.5\rPID|1||1^^^H^MR\r", "MSH^1^9"),
    ],
)
def test_refused_messages_get_ar_with_err(mllp: Harness, raw: str, location: str) -> None:
    before = len(mllp.run(mllp.flow.inbox.dead_letters(10_000)))
    ack = send(mllp.port, raw.replace("|X|", f"|{uuid.uuid4().hex[:12]}|"))
    assert fields(ack, "MSA")[1] == "AR"
    err = fields(ack, "ERR")
    assert err[2] == location
    assert len(mllp.run(mllp.flow.inbox.dead_letters(10_000))) == before + 1


def test_unmappable_content_gets_ae_naming_segment_and_field(mllp: Harness) -> None:
    control = f"E{uuid.uuid4().hex[:10]}"
    body = "PID|1||E1^^^HOSP^MR||DOE^J\nOBR|1||ORD1|24331-1^Lipid^LN\nOBX|1|NM||1|5.2|mmol/L"
    ack = send(mllp.port, message(control, body, "ORU^R01"))
    assert fields(ack, "MSA")[1:3] == ["AE", control]
    assert fields(ack, "ERR")[2] == "OBX^4^3"
    letters = mllp.run(mllp.flow.inbox.dead_letters(50))
    assert any(control in letter.raw and letter.location == "OBX-3" for letter in letters)


def test_allergy_without_allergen_is_an_error_not_a_skip(mllp: Harness) -> None:
    body = "PID|1||A1^^^HOSP^MR||DOE^J\nAL1|1|FA||SV|Anaphylaxis"
    ack = send(mllp.port, message(f"A{uuid.uuid4().hex[:10]}", body))
    assert fields(ack, "MSA")[1] == "AE"
    assert fields(ack, "ERR")[2] == "AL1^1^3"


def test_truncated_frame_is_refused_and_the_listener_keeps_serving(mllp: Harness) -> None:
    answer = send_raw(mllp.port, b"\x0bMSH|^~\\&|A|B|C|D|2026||ADT^A01|T1|P|2.5\rPID|1|")
    assert b"MSA|AR|" in answer
    assert b"MLLP frame refused" in answer
    mrn = f"K{uuid.uuid4().hex[:8]}"
    ack = send(mllp.port, message(f"K{uuid.uuid4().hex[:10]}", _patient_segments(mrn)))
    assert fields(ack, "MSA")[1] == "AA"


def test_stored_but_unprocessed_message_is_processed_on_recovery(
    mllp: Harness, client: httpx.Client
) -> None:
    mrn = f"R{uuid.uuid4().hex[:8]}"
    parsed = parse(message(f"R{uuid.uuid4().hex[:10]}", _patient_segments(mrn)))
    inbox = mllp.flow.inbox
    # stored and claimed, as the listener does before writing, then a stop
    stored = inbox.store("TESTFAC", parsed.control_id, "ADT^A01", parsed.text, "t", "processing")
    mllp.run(stored)
    assert _ids(client, f"{AUTHORITY}|{mrn}") == []
    assert mllp.run(mllp.flow.recover()) >= 1
    assert len(_ids(client, f"{AUTHORITY}|{mrn}")) == 1


def test_fixture_oru_gives_report_and_observations(mllp: Harness, client: httpx.Client) -> None:
    raw = (FIXTURES / "ORU-R01-01.hl7").read_bytes()
    ack = send(mllp.port, raw)
    assert fields(ack, "MSA")[1:3] == ["CA", parse(raw).control_id]  # MSH-15 is AL
    mllp.run(mllp.flow.drain())
    reports = client.get("/DiagnosticReport", params={"code": "625-4"}).json()
    report = reports["entry"][0]["resource"]
    assert len(report["result"]) == 3


def test_process_hl7v2_over_http(base_url: str) -> None:
    mrn = f"H{uuid.uuid4().hex[:8]}"
    text = message(f"H{uuid.uuid4().hex[:10]}", _patient_segments(mrn))
    headers = {"Content-Type": "x-application/hl7-v2+er7", "Accept": "application/fhir+json"}
    answer = httpx.post(f"{base_url}/$process-hl7v2", content=text, headers=headers)
    assert answer.status_code == 200
    values = {p["name"]: p for p in answer.json()["parameter"]}
    assert values["code"]["valueCode"] == "AA"
    assert "MSA|AA|" in values["ack"]["valueString"]
    refs = [
        p["valueReference"]["reference"]
        for p in answer.json()["parameter"]
        if p["name"] == "reference"
    ]
    assert any(r.startswith("Patient/") for r in refs)
    bad = httpx.post(f"{base_url}/$process-hl7v2", content="MSH|^^", headers=headers)
    assert bad.status_code == 400
    outcome = next(p["resource"] for p in bad.json()["parameter"] if p["name"] == "outcome")
    assert outcome["issue"][0]["details"]["coding"][0]["code"] == "NV-0300"
    empty = httpx.post(f"{base_url}/$process-hl7v2", content="", headers=headers)
    assert empty.status_code == 400
    assert "NV-0303" in empty.text


def test_enhanced_mode_commits_then_processes(mllp: Harness, client: httpx.Client) -> None:
    mrn = f"N{uuid.uuid4().hex[:8]}"
    control = f"N{uuid.uuid4().hex[:10]}"
    text = message(control, _patient_segments(mrn)).replace("|P|2.5\r", "|P|2.5|||AL|NE\r", 1)
    ack = send(mllp.port, text)
    assert fields(ack, "MSA")[1:3] == ["CA", control]
    mllp.run(mllp.flow.drain())
    assert len(_ids(client, f"{AUTHORITY}|{mrn}")) == 1
    assert fields(send(mllp.port, text), "MSA")[1] == "CA"  # a resend: committed already


def test_concurrent_messages_for_a_new_patient_create_it_once(
    mllp: Harness, client: httpx.Client
) -> None:
    mrn = f"C{uuid.uuid4().hex[:8]}"
    texts = [message(f"CC{n}{uuid.uuid4().hex[:8]}", _patient_segments(mrn)) for n in range(8)]
    with ThreadPoolExecutor(8) as pool:
        acks = list(pool.map(lambda text: send(mllp.port, text), texts))
    assert [fields(ack, "MSA")[1] for ack in acks] == ["AA"] * 8
    assert len(_ids(client, f"{AUTHORITY}|{mrn}")) == 1


def _results_message(mrn: str, results: int) -> str:
    observations = "\n".join(
        f"OBX|{n}|NM|2345-7^Glucose^LN||{100 + n}|mg/dL^mg/dL^UCUM|70-99|H|||F"
        for n in range(1, results + 1)
    )
    order = f"OBR|1|P{mrn}|F{mrn}|24331-1^Panel^LN|||20260101090000+0000||||||||||||||||||F"
    body = f"PID|1||{mrn}^^^HOSP^MR||DOE^JANE||19800102|F\n{order}\n{observations}"
    return message(f"R{uuid.uuid4().hex[:10]}", body, "ORU^R01")


def test_an_orus_results_are_written_together(mllp: Harness, client: httpx.Client) -> None:
    """The report, its results, the MessageHeader and the Provenance are PUTs to their ids
    written in one batch: eight results cost the statements two do."""
    few, many = f"F{uuid.uuid4().hex[:8]}", f"M{uuid.uuid4().hex[:8]}"
    assert mllp.statements_for(_results_message(few, 2)) == mllp.statements_for(
        _results_message(many, 8)
    )
    (patient,) = _ids(client, f"{AUTHORITY}|{many}")
    found = client.get("/Observation", params={"patient": patient, "_count": "50"}).json()
    values = sorted(e["resource"]["valueQuantity"]["value"] for e in found["entry"])
    assert values == [100 + n for n in range(1, 9)]
    report = client.get("/DiagnosticReport", params={"patient": patient}).json()
    assert len(report["entry"][0]["resource"]["result"]) == 8
