"""AA once stored (``NUTRIVISION_MLLP_ACK=stored``): group commit, the inbox worker, and
that nothing is lost or written twice on the way."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from fhir_server.mllp.inbox import InboxRow, NewMessage
from fhir_server.mllp.worker import InboxWorker, patient_key
from operations.hl7v2.er7 import parse
from tests.integration.hl7v2.client import AUTHORITY, fields, message, send
from tests.integration.hl7v2.conftest import Harness

pytestmark = pytest.mark.integration


def _adt(mrn: str, extra: str = "") -> str:
    return f"PID|1||{mrn}^^^HOSP^MR||STORED^ANN||19700101|F\n" + extra


def _patients(client: httpx.Client, mrn: str) -> list[dict[str, object]]:
    found = client.get("/Patient", params={"identifier": f"{AUTHORITY}|{mrn}"}).json()
    return [e["resource"] for e in found.get("entry", [])]


def test_aa_once_stored_then_written_by_the_worker(
    mllp_stored: Harness, client: httpx.Client
) -> None:
    mrn = f"W{uuid.uuid4().hex[:8]}"
    control = f"W{uuid.uuid4().hex[:10]}"
    body = _adt(mrn, "AL1|1|DA|70618^Penicillin^RXNORM|SV|Anaphylaxis")
    ack = send(mllp_stored.port, message(control, body))
    assert fields(ack, "MSA")[1:3] == ["AA", control]
    row = mllp_stored.run(mllp_stored.flow.inbox.find("TESTFAC", control))
    assert row is not None
    assert (row.ack or "").strip("\r") == ack
    mllp_stored.written()
    (patient,) = _patients(client, mrn)
    allergies = client.get("/AllergyIntolerance", params={"patient": f"Patient/{patient['id']}"})
    assert allergies.json()["entry"][0]["resource"]["code"]["coding"][0]["code"] == "70618"
    done = mllp_stored.run(mllp_stored.flow.inbox.find("TESTFAC", control))
    assert done is not None
    assert done.status == "processed"


def test_content_errors_are_still_ae_at_once(mllp_stored: Harness) -> None:
    control = f"V{uuid.uuid4().hex[:10]}"
    ack = send(mllp_stored.port, message(control, _adt("V1", "AL1|1|FA||SV|Hives")))
    assert fields(ack, "MSA")[1:3] == ["AE", control]
    assert fields(ack, "ERR")[2] == "AL1^1^3"


def test_resend_gets_the_same_ack_and_writes_nothing_again(
    mllp_stored: Harness, client: httpx.Client
) -> None:
    mrn = f"X{uuid.uuid4().hex[:8]}"
    text = message(f"X{uuid.uuid4().hex[:10]}", _adt(mrn))
    first = send(mllp_stored.port, text)
    assert send(mllp_stored.port, text) == first  # before it is written
    mllp_stored.written()
    (patient,) = _patients(client, mrn)
    versions = client.get(f"/Patient/{patient['id']}/_history").json()["total"]
    assert send(mllp_stored.port, text) == first  # and after
    mllp_stored.written()
    assert client.get(f"/Patient/{patient['id']}/_history").json()["total"] == versions


def test_concurrent_messages_are_stored_together_once_each(mllp_stored: Harness) -> None:
    mrn = f"G{uuid.uuid4().hex[:8]}"
    texts = [parse(message(f"G{n}{uuid.uuid4().hex[:8]}", _adt(mrn))) for n in range(6)]
    new = [NewMessage("TESTFAC", m.control_id, "ADT^A01", m.text, "t", ack="x") for m in texts]
    commit = mllp_stored.flow.commit

    async def store_all() -> list[tuple[InboxRow, bool]]:
        return await asyncio.gather(*(commit.store(m) for m in [*new, new[0]]))

    results = mllp_stored.run(store_all())
    assert [is_new for _, is_new in results] == [True] * 6 + [False]
    assert results[-1][0].id == results[0][0].id  # the copy in the same batch: same row
    mllp_stored.written()


def test_many_connections_for_one_new_patient_create_it_once(
    mllp_stored: Harness, client: httpx.Client
) -> None:
    mrn = f"K{uuid.uuid4().hex[:8]}"
    texts = [message(f"KK{n}{uuid.uuid4().hex[:8]}", _adt(mrn)) for n in range(8)]
    with ThreadPoolExecutor(8) as pool:
        acks = list(pool.map(lambda text: send(mllp_stored.port, text), texts))
    assert [fields(ack, "MSA")[1] for ack in acks] == ["AA"] * 8
    mllp_stored.written()
    assert len(_patients(client, mrn)) == 1


def test_a_claim_interrupted_by_a_stop_is_written_on_recovery(
    mllp_stored: Harness, client: httpx.Client
) -> None:
    mrn = f"Y{uuid.uuid4().hex[:8]}"
    parsed = parse(message(f"Y{uuid.uuid4().hex[:10]}", _adt(mrn)))
    inbox = mllp_stored.flow.inbox
    # answered AA and claimed by a worker that was then killed
    claimed = NewMessage(
        "TESTFAC", parsed.control_id, "ADT^A01", parsed.text, "t", "processing", "AA"
    )
    mllp_stored.run(inbox.store_many([claimed]))
    mllp_stored.written()
    assert _patients(client, mrn) == []  # a worker takes only unclaimed rows
    assert mllp_stored.run(mllp_stored.flow.recover()) >= 1
    assert len(_patients(client, mrn)) == 1


def test_patient_key_orders_one_patient_and_isolates_merges() -> None:
    one = message("1", "PID|1||A1^^^H^MR||X\nPV1|1|I")
    two = message("2", "PID|1||A1^^^H^MR||Y")
    other = message("3", "PID|1||B7^^^H^MR||X")
    merge = message("4", "PID|1||A1^^^H^MR||X\nMRG|B7^^^H^MR", "ADT^A40")
    assert patient_key(one) == patient_key(two) != patient_key(other)
    assert patient_key(merge) is None


def test_one_inbox_worker_writes_at_a_time(mllp_stored: Harness) -> None:
    inbox = mllp_stored.flow.inbox

    async def second_worker() -> bool:
        async with inbox.sole_worker(poll_s=0.05):
            return True

    async def check() -> tuple[bool, bool]:
        async with inbox.sole_worker(poll_s=0.05):
            waiting = asyncio.create_task(second_worker())
            await asyncio.sleep(0.5)
            held_off = not waiting.done()
        return held_off, await asyncio.wait_for(waiting, 30)

    assert mllp_stored.run(check()) == (True, True)  # waits while held, takes over after


def test_an_inbox_worker_stops_when_told_idle_or_waiting_for_the_lock(
    mllp_stored: Harness,
) -> None:
    async def stops(worker: InboxWorker) -> bool:
        running = asyncio.create_task(worker.run())
        await asyncio.sleep(0.3)
        await worker.stop()
        done, _ = await asyncio.wait({running}, timeout=10)
        return running in done

    async def check() -> tuple[bool, bool]:
        idle = await stops(InboxWorker(mllp_stored.flow, sole=False))
        async with mllp_stored.flow.inbox.sole_worker(poll_s=0.05):
            waiting = await stops(InboxWorker(mllp_stored.flow))
        return idle, waiting

    assert mllp_stored.run(check()) == (True, True)
