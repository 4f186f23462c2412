"""MLLP framing: a message is sent as 0x0B, the message, 0x1C 0x0D.

https://www.hl7.org/implement/standards/product_brief.cfm?product_id=55 (MLLP release 2)
"""

from __future__ import annotations

import asyncio

START = b"\x0b"
END = b"\x1c\x0d"


class FrameError(Exception):
    """A frame we cannot take: too large, or cut off (``partial`` holds what came)."""

    def __init__(self, reason: str, partial: bytes = b"") -> None:
        super().__init__(reason)
        self.partial = partial


def frame(message: str | bytes) -> bytes:
    """Wrap a message (text is sent as UTF-8)."""
    data = message.encode("utf-8") if isinstance(message, str) else message
    return START + data + END


async def read_frame(reader: asyncio.StreamReader, max_bytes: int) -> bytes | None:
    """The next message's bytes; None at a clean end of stream. Bytes before the start
    byte (line noise, a keep-alive newline) are skipped; a frame longer than ``max_bytes``
    or a stream that ends inside a frame is a ``FrameError``."""
    while True:
        byte = await reader.read(1)
        if not byte:
            return None
        if byte == START:
            break
    try:
        data = await reader.readuntil(END)
    except asyncio.IncompleteReadError as error:
        reason = f"the stream ended inside a frame ({len(error.partial)} bytes)"
        raise FrameError(reason, error.partial) from None
    except asyncio.LimitOverrunError:
        raise FrameError(f"frame larger than {max_bytes} bytes") from None
    if len(data) - len(END) > max_bytes:
        raise FrameError(f"frame larger than {max_bytes} bytes")
    return data[: -len(END)]
