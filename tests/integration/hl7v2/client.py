"""Sending messages with python-hl7's MLLP client, and reading ACKs."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import httpx
from hl7.client import MLLPClient  # type: ignore[import-untyped]

FIXTURES = Path(__file__).parents[2] / "fixtures" / "hl7v2"
_ROOT = Path(__file__).resolve().parents[3]
SHARED = (
    next(
        (p for p in (_ROOT.parent / "shared", _ROOT.parents[1] / "shared") if p.is_dir()),
        _ROOT.parent / "shared",
    )
    / "fixtures"
)
"""``../shared/fixtures`` from the repository root (or from its worktree folder)."""
AUTHORITY = "urn:nutrivision:hl7v2:authority:HOSP"
"""The identifier system the adapter gives the test messages' assigning authority HOSP."""


HL7_HEADERS = {"Content-Type": "x-application/hl7-v2+er7", "Accept": "application/fhir+json"}


def process_http(text: str, base_url: str) -> dict[str, Any]:
    """One message through ``$process-hl7v2``, answered AA: the answer's parameters by name."""
    answer = httpx.post(f"{base_url}/$process-hl7v2", content=text, headers=HL7_HEADERS)
    assert answer.status_code == 200, answer.text
    values = {p["name"]: p for p in answer.json()["parameter"]}
    assert values["code"]["valueCode"] == "AA"
    return values


def send(port: int, message: str | bytes) -> str:
    """One message on a new connection; the ACK text, MLLP framing removed."""
    with MLLPClient("127.0.0.1", port) as client:
        answer: bytes = client.send_message(message)
    return answer.decode("utf-8").strip("\x0b\x1c\r")


def fields(ack: str, segment: str) -> list[str]:
    """The fields of the first ``segment`` of an ACK (index 0 is the segment name)."""
    for line in ack.split("\r"):
        if line.startswith(segment):
            return line.split(line[3]) if segment != "MSH" else line.split("|")
    return []


def send_raw(port: int, data: bytes) -> bytes:
    """Bytes as they are (a broken frame), then end the sending side; what comes back."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def message(control_id: str, body: str, kind: str = "ADT^A01", version: str = "2.5") -> str:
    """A small message from its segments after MSH (CR-separated)."""
    msh = f"MSH|^~\\&|TESTAPP|TESTFAC|NV|NV|20260101120000+0000||{kind}|{control_id}|P|{version}"
    return msh + "\r" + body.strip().replace("\n", "\r") + "\r"


def replaced_patient(client: httpx.Client, mrn: str, survivor: str) -> None:
    """A Patient that another system marked replaced by ``survivor``, still holding ``mrn``:
    an A40 naming ``mrn`` then fails at MRG-1."""
    body = {
        "resourceType": "Patient",
        "active": False,
        "identifier": [{"system": AUTHORITY, "value": mrn}],
        "link": [{"other": {"reference": survivor}, "type": "replaced-by"}],
    }
    created = client.post("/Patient", json=body)
    assert created.status_code == 201, created.text
