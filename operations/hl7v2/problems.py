"""What goes wrong with an HL7 v2 message, said so that an ACK's ERR can name the place.

https://hl7-definition.caristix.com/v2/HL7v2.5.1/Tables/0357 (message error condition codes)
"""

from __future__ import annotations

from typing import Literal

AckCode = Literal["AA", "AE", "AR", "CA", "CE", "CR"]
"""Application (A*) and, in enhanced mode, commit (C*) acknowledgment codes (table 0008)."""


class Hl7Problem(Exception):
    """A message we reject (``AR``: unreadable header, a type or version we do not take, a
    sender not allowed) or cannot apply (``AE``: bad content); ``segment`` and ``field``
    locate it, ``condition`` is the HL7 table 0357 code."""

    def __init__(
        self,
        message: str,
        segment: str,
        field: int,
        ack: AckCode = "AE",
        condition: str = "207",
        sequence: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.segment = segment
        self.field = field
        self.ack: AckCode = ack
        self.condition = condition
        self.sequence = sequence

    @property
    def location(self) -> str:
        """``PID-7``-style location."""
        return f"{self.segment}-{self.field}" if self.field else self.segment
