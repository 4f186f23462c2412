"""Every sample message of the shared fixtures through the real listener, with python-hl7's
MLLP client; what we wrote is compared with the converters' expected Bundles."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from operations.hl7v2.er7 import parse
from operations.hl7v2.messages import SUPPORTED, sender_of
from operations.hl7v2.plan import stable_id
from tests.integration.hl7v2.agreement import compare, report, tallies
from tests.integration.hl7v2.client import SHARED, fields, send
from tests.integration.hl7v2.conftest import Harness

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not (SHARED / "hl7v2-microsoft-fhir-converter").is_dir(),
        reason="../shared/fixtures (the HL7 v2 sample messages) is not present",
    ),
]
MICROSOFT = SHARED / "hl7v2-microsoft-fhir-converter"
V2_TO_FHIR = SHARED / "hl7-v2-to-fhir"
REPORT_ENV = "NUTRIVISION_HL7_AGREEMENT_REPORT"
REFUSED = {"MDM_T02.hl7": "OBX^"}
"""Samples answered AE, and the ERR location: MDM_T02's ED (OBX-5) holds the text
``<Base64 encoded>`` where the document should be."""
"""Where to write the agreement report (docs/hl7v2-agreement.md is one such run)."""


def _cases() -> list[tuple[Path, Path | None]]:
    if not MICROSOFT.is_dir():
        return []
    manifest = json.loads((MICROSOFT / "manifest.json").read_text())
    expected = {
        c["message"]: MICROSOFT / c["expected"] for c in manifest["cases"] if c.get("expected")
    }
    cases: list[tuple[Path, Path | None]] = [
        (path, expected.get(f"messages/{path.name}"))
        for path in sorted((MICROSOFT / "messages").glob("*.hl7"))
    ]
    sample = V2_TO_FHIR / "samples" / "fhir-bundles" / "FHIR_bundle.hl7_ADT_A01.json"
    for path in sorted((V2_TO_FHIR / "test-conversions").glob("*.hl7")):
        cases.append((path, sample if path.name == "ADT_A01.hl7" else None))
    return cases


def _unique(raw: bytes, suffix: str) -> bytes:
    """MSH-10 made unique to this run: the samples reuse control ids across files (a real
    sender does not), and a reused id is, rightly, answered as a duplicate."""
    text = raw.decode("utf-8-sig")
    old = parse(text).control_id
    return text.replace(f"|{old}|", f"|{old}-{suffix}|", 1).encode("utf-8")


def _written(client: httpx.Client, raw: bytes) -> list[dict[str, Any]]:
    message = parse(raw)
    header_id = stable_id("MessageHeader", sender_of(message), "message", message.control_id)
    header = client.get(f"/MessageHeader/{header_id}").json()
    refs = [f["reference"] for f in header.get("focus", [])]
    return [client.get(f"/{ref}").json() for ref in refs]


def test_every_sample_message(mllp: Harness, client: httpx.Client) -> None:
    tally = tallies()
    run = uuid.uuid4().hex[:6]
    for number, (path, expected_path) in enumerate(_cases()):
        raw = _unique(path.read_bytes(), f"{run}{number}")
        message = parse(raw)
        ack = send(mllp.port, raw)
        msa = fields(ack, "MSA")
        kind = f"{message.message_code}^{message.trigger}"
        supported = message.message_code in SUPPORTED
        enhanced = bool(message.msh.get(15))  # commit ACK first, then processing
        wanted = ("CA" if enhanced else "AA") if supported else ("CR" if enhanced else "AR")
        if path.name in REFUSED and not enhanced:
            wanted = "AE"
        assert msa[1:3] == [wanted, message.control_id], f"{path.name}: {ack}"
        mllp.run(mllp.flow.drain())
        if path.name in REFUSED:
            row = mllp.run(mllp.flow.inbox.find(sender_of(message), message.control_id))
            assert row is not None
            assert row.status == "failed", f"{path.name}: {row}"
            assert REFUSED[path.name] in (row.ack or ""), path.name
            tally[f"{kind} (AE: {REFUSED[path.name]})"].messages += 1
            continue
        if supported:
            row = mllp.run(mllp.flow.inbox.find(sender_of(message), message.control_id))
            assert row is not None
            assert row.status == "processed", f"{path.name}: {row}"
        if not supported or expected_path is None:
            tally[kind if supported else f"{kind} (refused)"].messages += 1
            continue
        expected = [e["resource"] for e in json.loads(expected_path.read_text())["entry"]]
        compare(expected, _written(client, raw), path.name, tally[kind])
    text = report(tally)
    print(text)
    if os.environ.get(REPORT_ENV):
        title = "# HL7 v2 samples: fields agreeing with the expected Bundles\n\n"
        Path(os.environ[REPORT_ENV]).write_text(title + text)
    agree = sum(t.agree for t in tally.values())
    total = sum(t.total for t in tally.values())
    assert total > 100
    assert agree / total >= 0.8
