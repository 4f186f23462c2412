"""HL7 v2 A40 merges in this process: CPU and SQL statements per merge, without MLLP.

Each merge retires a patient holding three allergies, two medications (an RDE^O11 each:
a MedicationRequest and a MedicationStatement) and a visit, into a known survivor with a
logged intake, so that the moved allergies and medications re-check the survivor and the
check runs. Each message goes through ``Hl7Processor.receive`` (processed before the
answer) on the store every entry point opens (safety re-check and audit write hooks), on an
embedded PostgreSQL. Only the A40 is measured: this process's CPU (PostgreSQL's is not
counted) and the statements sent.

    python -m bench.hl7_merge [--merges 20]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import event

from fhir_server.composition import open_store
from fhir_server.db import migrate
from fhir_server.embedded import EmbeddedServices
from fhir_server.mllp.runtime import processor
from fhir_server.settings import Settings
from operations.hl7v2.apply import by_identifier
from resources.ports import ResourceStore
from tests.integration.hl7v2.client import AUTHORITY
from tests.integration.safety.helpers import intake

FOODS = ("grapefruit juice", "peanut butter toast", "shrimp scampi")
ALLERGIES = (
    "AL1|1|FA|^Peanut|SV|Anaphylaxis\r"
    "AL1|2|FA|278840001^Shrimp^SCT|MO|Hives\r"
    "AL1|3|DA|70618^Penicillin^RXNORM|SV|Anaphylaxis\r"
)
MEDICATIONS = ("Simvastatin 20 MG Oral Tablet", "Warfarin 5 MG Oral Tablet")


def _msh(control: str, kind: str) -> str:
    return f"MSH|^~\\&|BENCH|BENCHFAC|NV|NV|20260101120000+0000||{kind}|{control}|P|2.5\r"


def _pid(mrn: str) -> str:
    return f"PID|1||{mrn}^^^HOSP^MR||DOE^JANE^Q||19800102|F\r"


def old_record(n: int) -> list[bytes]:
    """The retired patient's messages: an ADT with a visit and three allergies, two RDEs."""
    mrn = f"OLD{n}"
    adt = _msh(f"MA{n}", "ADT^A01") + _pid(mrn)
    adt += f"PV1|1|I|W^1^A||||||||||||||||VO{n}\r" + ALLERGIES
    rdes = [
        _msh(f"MR{n}-{i}", "RDE^O11") + _pid(mrn) + f"ORC|NW|P{n}-{i}|F{n}-{i}\r"
        f"RXE|1|^{drug}|20||mg\r"
        for i, drug in enumerate(MEDICATIONS)
    ]
    return [adt.encode(), *(r.encode() for r in rdes)]


def survivor(n: int) -> bytes:
    """The surviving patient's ADT."""
    return (_msh(f"MS{n}", "ADT^A01") + _pid(f"NEW{n}")).encode()


def merge(n: int) -> bytes:
    """The A40: OLDn merged into NEWn."""
    text = _msh(f"MM{n}", "ADT^A40") + "EVN|A40|20260101\r" + _pid(f"NEW{n}")
    return (text + f"MRG|OLD{n}^^^HOSP^MR\r").encode()


async def _prepare(flow: Any, store: ResourceStore, n: int) -> None:
    for text in [*old_record(n), survivor(n)]:
        outcome = await flow.receive(text, at_once=True)
        assert outcome.code == "AA", outcome.ack
    query = by_identifier("Patient", AUTHORITY, f"NEW{n}")
    (patient,) = (await store.search(query, None)).matches
    await store.create("NutritionIntake", intake(patient.reference, *FOODS), None)


class Tally:
    """Statements counted while ``counting``."""

    def __init__(self) -> None:
        self.statements = 0
        self.counting = False

    def count(self, *_args: Any) -> None:
        """``before_cursor_execute``."""
        if self.counting:
            self.statements += 1


async def measure(database_url: str, data_dir: Path, merges: int) -> str:
    """Two warm-up merges, then ``merges`` measured ones; one line of figures."""
    key = SecretStr(base64.b64encode(os.urandom(32)).decode())
    settings = Settings(
        data_dir=data_dir, auth_required=False, master_key=key, mllp_ack="processed"
    )
    async with open_store(settings, database_url, 4) as opened:
        flow = processor(opened.engine, opened.store, settings)
        tally = Tally()
        event.listen(opened.engine.sync_engine, "before_cursor_execute", tally.count)
        cpu = wall = 0.0
        for n in range(merges + 2):
            await _prepare(flow, opened.store, n)
            tally.counting = n >= 2
            started, clock = time.process_time(), time.perf_counter()
            outcome = await flow.receive(merge(n), at_once=True)
            if n >= 2:
                cpu += time.process_time() - started
                wall += time.perf_counter() - clock
            tally.counting = False
            assert outcome.code == "AA", outcome.ack
    return (
        f"A40 (3 allergies, 2 medications, a visit moved): CPU {cpu / merges * 1e3:.1f} "
        f"ms/merge, {tally.statements / merges:.1f} statements/merge, "
        f"{wall / merges * 1e3:.1f} ms wall/merge ({merges} merges)"
    )


def main() -> None:
    """Start PostgreSQL, migrate, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--merges", type=int, default=20, help="measured merges")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="nv-hl7-merge-") as name,
        EmbeddedServices(Path(name) / "services") as urls,
    ):
        migrate.upgrade(urls.database_url)
        figures = asyncio.run(measure(urls.database_url, Path(name), args.merges))
    print(f"cores: {os.cpu_count()}, load average at end: {os.getloadavg()[0]:.2f}")
    print(figures)


if __name__ == "__main__":
    main()
