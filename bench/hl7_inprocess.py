"""HL7 v2 writing in this process: CPU and SQL statements per message, without MLLP.

Each message goes through ``Hl7Processor.receive`` (processed before the answer, as
``--ack processed`` does) on the store every entry point opens (``open_store``: PHI keys,
the safety re-check and audit write hooks), on an embedded PostgreSQL. The messages are
``bench.hl7_mllp``'s: an ADT^A01 (Patient, Encounter, an allergy) and an ORU^R01 (a report
and three results), one patient in 20 new, so most messages are for a known Patient; then
the same ADT with three allergies new to the patient, and the same ORU resent under another
control id (nothing of it changed). One round of warm-up, then ``--messages`` of each kind,
alternating; before them, each patient they name is known and has a logged intake
(grapefruit juice, peanut butter toast, milk), so a new allergy's re-check runs the check.
Printed per kind: this process's CPU per message (PostgreSQL's is not counted), statements
per message and messages/s. ``--profile FILE`` writes a cProfile of the measured part (the 40
functions with the most cumulative time; the profiler slows the process, so the CPU figures
of such a run are not comparable).

    python -m bench.hl7_inprocess [--messages 80] [--profile out.txt]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import io
import os
import pstats
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import event

from bench.hl7_mllp import adt, oru
from fhir_server.composition import open_store
from fhir_server.db import migrate
from fhir_server.embedded import EmbeddedServices
from fhir_server.mllp.runtime import processor
from fhir_server.settings import Settings
from operations.hl7v2.apply import by_identifier
from resources.ports import ResourceStore
from tests.integration.hl7v2.client import AUTHORITY
from tests.integration.safety.helpers import intake

FOODS = ("grapefruit juice", "peanut butter toast", "a glass of milk")


def adt_allergies(n: int, enhanced: bool) -> bytes:
    """The ADT^A01 of ``n`` again (another control id) with three allergies new to the
    patient: three watched resources for one re-check."""
    text = adt(n, enhanced).replace(f"|A{n}|".encode(), f"|AL{n}|".encode())
    return text + b"".join(f"AL1|{i}|FA|^Food {n}-{i}|MO|Hives\r".encode() for i in range(2, 5))


def oru_resent(n: int, enhanced: bool) -> bytes:
    """The ORU^R01 of ``n`` sent again under another control id: the same results."""
    return oru(n, enhanced).replace(f"|O{n}|".encode(), f"|OR{n}|".encode())


KINDS: dict[str, Callable[[int, bool], bytes]] = {
    "ADT^A01": adt,
    "ORU^R01": oru,
    "ADT^A01 +3 allergies": adt_allergies,
    "ORU^R01 resent": oru_resent,
}


class Tally:
    """CPU seconds, wall seconds and statements per kind of message."""

    def __init__(self) -> None:
        self.cpu = dict.fromkeys(KINDS, 0.0)
        self.wall = dict.fromkeys(KINDS, 0.0)
        self.statements = dict.fromkeys(KINDS, 0)
        self.counting = ""

    def count(self, *_args: Any) -> None:
        """``before_cursor_execute``: one statement for the kind being measured."""
        if self.counting:
            self.statements[self.counting] += 1


async def _round(flow: Any, start: int, count: int, tally: Tally | None) -> None:
    for n in range(start, start + count):
        for kind, make in KINDS.items():
            text = make(n, False)
            if tally is None:
                await flow.receive(text, at_once=True)
                continue
            tally.counting = kind
            cpu, wall = time.process_time(), time.perf_counter()
            outcome = await flow.receive(text, at_once=True)
            tally.cpu[kind] += time.process_time() - cpu
            tally.wall[kind] += time.perf_counter() - wall
            tally.counting = ""
            assert outcome.code == "AA", outcome.ack


async def _with_intakes(flow: Any, store: ResourceStore, start: int, count: int) -> None:
    """Each patient of the measured messages known, with a logged intake, so that a new
    allergy's re-check reads the patient's foods and record and runs the check."""
    for n in range(start, start + count, 20):
        setup = adt(n, False).replace(f"|A{n}|".encode(), f"|S{n}|".encode())
        await flow.receive(setup, at_once=True)
        query = by_identifier("Patient", AUTHORITY, f"MRN{n // 20}")
        (patient,) = (await store.search(query, None)).matches
        await store.create("NutritionIntake", intake(patient.reference, *FOODS), None)


async def measure(
    database_url: str, data_dir: Path, messages: int, profile: bool
) -> tuple[str, str]:
    """Warm up, then ``messages`` of each kind: one line per kind, and the profile's text
    (empty without ``profile``)."""
    key = SecretStr(base64.b64encode(os.urandom(32)).decode())
    settings = Settings(
        data_dir=data_dir, auth_required=False, master_key=key, mllp_ack="processed"
    )
    async with open_store(settings, database_url, 4) as opened:
        flow = processor(opened.engine, opened.store, settings)
        await _round(flow, 0, 20, None)  # warm-up: caches, plans; the first patients
        await _with_intakes(flow, opened.store, 20, messages)
        tally = Tally()
        event.listen(opened.engine.sync_engine, "before_cursor_execute", tally.count)
        profiler = cProfile.Profile() if profile else None
        if profiler is not None:
            profiler.enable()
        await _round(flow, 20, messages, tally)
        profiled = ""
        if profiler is not None:
            profiler.disable()
            profiled = _report(profiler)
    figures = "\n".join(
        f"{kind}: CPU {tally.cpu[kind] / messages * 1e3:.1f} ms/message, "
        f"{tally.statements[kind] / messages:.1f} statements/message, "
        f"{messages / tally.wall[kind]:.1f} messages/s ({messages} messages)"
        for kind in KINDS
    )
    return figures, profiled


def _report(profiler: cProfile.Profile) -> str:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
    return out.getvalue()


def main() -> None:
    """Start PostgreSQL, migrate, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=80, help="messages of each kind")
    parser.add_argument("--profile", type=Path, help="write a cProfile report here")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="nv-hl7-inprocess-") as name,
        EmbeddedServices(Path(name) / "services") as urls,
    ):
        migrate.upgrade(urls.database_url)
        run = measure(urls.database_url, Path(name), args.messages, args.profile is not None)
        figures, profiled = asyncio.run(run)
    if args.profile is not None:
        args.profile.write_text(profiled)
    print(f"cores: {os.cpu_count()}, load average at end: {os.getloadavg()[0]:.2f}")
    print(figures)


if __name__ == "__main__":
    main()
