"""Acknowledgments: ACK with MSA (MSA-2 echoes MSH-10) and, for an error, ERR naming the
segment and field.

https://www.hl7.org/documentcenter/public/wg/conf/HL7MSH.htm (original and enhanced mode)
"""

from __future__ import annotations

from datetime import UTC, datetime

from operations.hl7v2.er7 import Encoding, Message, escape
from operations.hl7v2.problems import AckCode, Hl7Problem

_RECEIVER = ("NUTRIVISION", "NUTRIVISION")


def _err(problem: Hl7Problem, enc: Encoding, version: str) -> str:
    c, f = enc.component, enc.field
    location = c.join([problem.segment, str(problem.sequence), str(problem.field or "")])
    condition = c.join([problem.condition, "", "HL70357"])
    severity = "E" if problem.ack != "AA" else "W"
    text = escape(f"{problem.location}: {problem.message}", enc)
    if version < "2.5":  # ERR-1 (ELD) is the only field before 2.5
        return f"ERR{f}{location}{c}{condition}"
    return f"ERR{f}{f}{location}{f}{condition}{f}{severity}{f * 4}{text}"


def ack(
    message: Message | None,
    code: AckCode,
    problem: Hl7Problem | None = None,
    control_id: str = "",
) -> str:
    """The ACK of ``message`` (or of an unreadable one, with what we know), CR-separated."""
    enc = message.enc if message else Encoding()
    f = enc.field
    version = message.version if message else "2.5"
    msh = message.msh if message else None
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S+0000")
    sender = (msh.raw(5), msh.raw(6)) if msh else _RECEIVER
    receiver = (msh.raw(3), msh.raw(4)) if msh else ("", "")
    trigger = message.trigger if message else ""
    echo = message.control_id if message else control_id
    processing = msh.raw(11) if msh else "P"
    header = f"MSH{f}{enc.msh2}{f}" + f.join(
        [
            sender[0] or _RECEIVER[0],
            sender[1] or _RECEIVER[1],
            *receiver,
            stamp,
            "",
            f"ACK{enc.component}{trigger}{enc.component}ACK",
            f"ACK{echo}"[:20],
            processing,
            version,
        ]
    )
    text = problem.message[:80] if problem else ""
    msa = f"MSA{f}{code}{f}{echo}" + (f"{f}{escape(text, enc)}" if text else "")
    segments = [header, msa]
    if problem is not None:
        segments.append(_err(problem, enc, version))
    return "\r".join(segments) + "\r"
