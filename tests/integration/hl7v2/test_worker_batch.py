"""The inbox worker writes several stored messages per transaction, each in a savepoint: a
message that fails there is dead-lettered alone, and the others of its batch are written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import event, select

from fhir_server.db.hl7_tables import hl7_inbox
from fhir_server.mllp.inbox import InboxRow, NewMessage
from fhir_server.mllp.worker import lanes
from operations.hl7v2.er7 import parse
from tests.integration.hl7v2.client import AUTHORITY, message, process_http, replaced_patient
from tests.integration.hl7v2.conftest import Harness

pytestmark = pytest.mark.integration


def _pid(*mrns: str) -> str:
    ids = "~".join(f"{mrn}^^^HOSP^MR" for mrn in mrns)
    return f"PID|1||{ids}||BATCH^ANN||19700101|F"


def _patients(client: httpx.Client, mrn: str) -> list[str]:
    found = client.get("/Patient", params={"identifier": f"{AUTHORITY}|{mrn}"}).json()
    return [f"Patient/{e['resource']['id']}" for e in found.get("entry", [])]


def _merged_away(base_url: str, client: httpx.Client, token: str) -> str:
    """A Patient marked replaced by another, still holding an identifier (returned): a merge
    of that identifier into a third patient fails when it is written (MRG-1)."""
    kept, into = f"BK{token}", f"BI{token}"
    process_http(message(f"B2{token}", _pid(into)), base_url)
    (other,) = _patients(client, into)
    replaced_patient(client, kept, other)
    return kept


def test_a_failing_message_is_dead_lettered_alone_in_its_batch(
    mllp_stored: Harness, base_url: str, client: httpx.Client
) -> None:
    token = uuid.uuid4().hex[:8]
    kept = _merged_away(base_url, client, token)
    one, two, survivor = f"B1{token}", f"B2{token}", f"BS{token}"
    obr = "OBR|1||F1{t}|4548-4^HbA1c^LN\nOBX|1|NM|4548-4^HbA1c^LN||7.1|%|4-6|H|||F"
    texts = [
        message(f"W1{token}", _pid(one) + "\nAL1|1|FA|^Peanut|SV|Anaphylaxis"),
        message(
            f"W2{token}", f"EVN|A40|20260101\n{_pid(survivor)}\nMRG|{kept}^^^HOSP^MR", "ADT^A40"
        ),
        message(f"W3{token}", _pid(two)),
        message(f"W4{token}", _pid(one) + "\n" + obr.format(t=token), "ORU^R01"),
    ]
    stored = [parse(text) for text in texts]
    rows = [NewMessage("TESTFAC", m.control_id, m.message_code, m.text, "test") for m in stored]
    engine = mllp_stored.flow.inbox.engine
    savepoints: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if "SAVEPOINT" in statement.upper():
            savepoints.append(statement.split()[0].upper())

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        ids = [row.id for row, _ in mllp_stored.run(mllp_stored.flow.inbox.store_many(rows))]
        mllp_stored.written()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)

    async def statuses() -> dict[int, tuple[str, str | None]]:
        query = select(hl7_inbox.c.id, hl7_inbox.c.status, hl7_inbox.c.error)
        async with engine.connect() as conn:
            found = await conn.execute(query.where(hl7_inbox.c.id.in_(ids)))
            return {r.id: (r.status, r.error) for r in found}

    outcome = mllp_stored.run(statuses())
    assert [outcome[i][0] for i in ids] == ["processed", "failed", "processed", "processed"]
    assert "MRG-1" in str(outcome[ids[1]][1])
    letters = mllp_stored.run(mllp_stored.flow.inbox.dead_letters(50))
    mine = [letter for letter in letters if letter.inbox_id in ids]
    assert [(m.inbox_id, m.location, m.ack_code) for m in mine] == [(ids[1], "MRG-1", "AE")]
    assert "merged into" in mine[0].reason
    # the messages before and after the failure are written; the failed merge left nothing
    (patient,) = _patients(client, one)
    assert len(_patients(client, two)) == 1
    assert _patients(client, survivor) == []
    allergies = client.get("/AllergyIntolerance", params={"patient": patient}).json()
    assert len(allergies.get("entry", [])) == 1
    results = client.get("/Observation", params={"patient": patient, "code": "4548-4"}).json()
    assert len(results.get("entry", [])) == 1
    # one transaction, a savepoint per message: the failed one rolled back to its own
    assert savepoints.count("SAVEPOINT") == 4
    assert savepoints.count("ROLLBACK") == 1
    assert savepoints.count("RELEASE") == 3


def _row(id_: int) -> InboxRow:
    return InboxRow(id_, "processing", None, "", "", datetime.now(UTC))


def test_lanes_keep_each_patients_messages_together_and_in_order() -> None:
    groups = [[_row(1), _row(4), _row(9)], [_row(2)], [_row(3), _row(5)], [_row(6)], [_row(7)]]
    dealt = lanes(groups, 3)
    assert len(dealt) == 3
    assert sorted(row.id for lane in dealt for row in lane) == [1, 2, 3, 4, 5, 6, 7, 9]
    for group in groups:
        (lane,) = [lane for lane in dealt if group[0] in lane]
        positions = [lane.index(row) for row in group]
        assert positions == sorted(positions)  # one lane, the order received
        assert positions == list(range(positions[0], positions[0] + len(group)))
    assert len(lanes(groups[:2], 4)) == 2  # no empty lane
