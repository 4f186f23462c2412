"""Every resource the mapping writes is valid FHIR R4 (checked by the model facade, as the
REST layer checks what clients send)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from operations.hl7v2.er7 import parse
from operations.hl7v2.messages import SUPPORTED, plan_message
from operations.hl7v2.problems import Hl7Problem
from resources.bundle_references import rewrite
from resources.model import validation_issues

ROOT = Path(__file__).resolve().parents[3]
LOCAL = sorted((ROOT / "tests" / "fixtures" / "hl7v2").glob("*.hl7"))
SHARED = (
    next(
        (p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if p.is_dir()),
        ROOT.parent / "shared",
    )
    / "fixtures"
)
SAMPLES = sorted((SHARED / "hl7v2-microsoft-fhir-converter" / "messages").glob("*.hl7")) + sorted(
    (SHARED / "hl7-v2-to-fhir" / "test-conversions").glob("*.hl7")
)


REFUSED = {"MDM_T02.hl7": "OBX-5"}
"""Samples answered AE, and where: MDM_T02's ED holds the text ``<Base64 encoded>``."""


def _problems(path: Path) -> list[str]:
    message = parse(path.read_bytes())
    if message.message_code not in SUPPORTED:
        return []
    if path.name in REFUSED:
        with pytest.raises(Hl7Problem) as caught:
            plan_message(message, "2026-01-01T00:00:00Z")
        return [] if caught.value.location == REFUSED[path.name] else [str(caught.value)]
    plan = plan_message(message, "2026-01-01T00:00:00Z")
    mapping = {w.key: f"{w.resource_type}/{w.id or 'x'}" for w in plan.writes}
    found = []
    for write in plan.writes:
        if write.action == "retire":
            continue
        for issue in validation_issues(rewrite(write.resource, mapping)):
            found.append(f"{write.resource_type}: {issue.diagnostics}")
    return found


@pytest.mark.parametrize("path", LOCAL, ids=lambda p: p.name)
def test_fixture_copies_map_to_valid_fhir(path: Path) -> None:
    assert _problems(path) == []


@pytest.mark.skipif(not SAMPLES, reason="../shared/fixtures (HL7 v2 samples) is not present")
def test_shared_samples_map_to_valid_fhir() -> None:
    problems = {p.name: _problems(p) for p in SAMPLES}
    assert {name: found for name, found in problems.items() if found} == {}


ODD_VALUES = (
    "\x00", " ", "\t", "~", "&", "^", "\\", "+", "-", "1.", ".5", "NaN", "inf", "1e400",
    "99999999999999999999999", "20261345", "2026134599", "19800230", "202601011200+9999",
    "x" * 300, "<5", ">=3", "1:2", "Y", "N", "LN", "SCT",
)  # fmt: skip
"""What feeds send in the wrong place: control characters, separators alone, numbers FHIR's
decimal has not, dates not on the calendar, long text."""


def _altered(text: str, draw: random.Random) -> str:
    """``text`` with one field of one segment after MSH replaced by odd values (several
    components of them, or one)."""
    segments = text.replace("\r\n", "\r").replace("\n", "\r").strip("\r").split("\r")
    index = draw.randrange(1, len(segments))
    fields = segments[index].split("|")
    position = draw.randrange(1, len(fields) + 3)
    fields += [""] * (position + 1 - len(fields))
    parts = draw.randrange(1, 4)
    fields[position] = "^".join(draw.choice(ODD_VALUES) for _ in range(parts))
    segments[index] = "|".join(fields)
    return "\r".join(segments)


def test_odd_field_values_map_to_valid_fhir_or_are_refused() -> None:
    """2,000 messages, each a fixture copy (or a shared sample, where present) with one field
    made odd: each maps to resources the REST API would accept, or is refused (AE/AR) with a
    reason; none raises anything else (a bug answered AE by the processor, the message only
    kept)."""
    draw = random.Random(20261128)
    texts = [path.read_text(errors="replace") for path in LOCAL + SAMPLES]
    found: dict[str, str] = {}
    for _ in range(2000):
        text = _altered(draw.choice(texts), draw)
        try:
            plan = plan_message(parse(text), "2026-01-01T00:00:00Z")
        except Hl7Problem:
            continue
        for write in plan.writes:
            if write.action == "retire":
                continue
            for issue in validation_issues(write.resource):
                found.setdefault(f"{write.resource_type}: {issue.diagnostics}", text)
    assert found == {}
