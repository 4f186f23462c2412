"""The MLLP listener: asyncio, one task per connection, each frame answered in order.

Limits: frame size (the stream reader's buffer, so an endless frame cannot exhaust memory),
an idle timeout per connection, the source addresses allowed, optional TLS. A bad frame
gets an AR and closes its connection; other connections are not affected.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import ssl
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from fhir_server.mllp.framing import FrameError, frame, read_frame
from fhir_server.mllp.processor import Hl7Processor
from operations.hl7v2.ack import ack
from operations.hl7v2.problems import Hl7Problem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ListenerConfig:
    """Where and how to listen."""

    host: str = "127.0.0.1"
    port: int = 2575
    max_bytes: int = 1024 * 1024
    idle_timeout_s: float = 60.0
    allowed_ips: Collection[str] = field(default_factory=tuple)
    tls_cert: Path | None = None
    tls_key: Path | None = None
    reuse_port: bool = False
    """Several processes listen on the port (the kernel spreads connections over them)."""

    def ssl_context(self) -> ssl.SSLContext | None:
        """A server TLS context when a certificate is configured."""
        if self.tls_cert is None:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.tls_cert, self.tls_key)
        return context


def _allowed(peer: str, allowed: Collection[str]) -> bool:
    if not allowed:
        return True
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in allowed)


class MllpListener:
    """Serve MLLP on ``config`` with ``processor``; ``await start()``, then ``close()``."""

    def __init__(self, processor: Hl7Processor, config: ListenerConfig) -> None:
        self.processor = processor
        self.config = config
        self.server: asyncio.Server | None = None
        self.port = config.port

    async def start(self) -> None:
        """Bind and start accepting connections (port 0 picks a free one)."""
        self.server = await asyncio.start_server(
            self._connection,
            self.config.host,
            self.config.port,
            ssl=self.config.ssl_context(),
            limit=self.config.max_bytes + 16,
            reuse_port=self.config.reuse_port or None,
        )
        self.port = int(self.server.sockets[0].getsockname()[1])
        log.info("MLLP listening on %s:%s", self.config.host, self.port)

    async def close(self) -> None:
        """Stop accepting and close the server."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        await self.processor.drain()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername")
        peer = str(peername[0]) if peername else ""
        try:
            if not _allowed(peer, self.config.allowed_ips):
                log.warning("MLLP connection from %s refused", peer)
                return
            await self._serve(reader, writer, peer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:  # the database is down, say: no ACK, so the sender sends again
            log.exception("MLLP connection from %s failed", peer)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                await writer.wait_closed()

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        while True:
            try:
                async with asyncio.timeout(self.config.idle_timeout_s):
                    data = await read_frame(reader, self.config.max_bytes)
            except TimeoutError:
                return
            except FrameError as error:
                await self._refuse_frame(writer, peer, error)
                return
            if data is None:
                return
            outcome = await self.processor.receive(data, peer)
            writer.write(frame(outcome.ack))
            await writer.drain()

    async def _refuse_frame(
        self, writer: asyncio.StreamWriter, peer: str, error: FrameError
    ) -> None:
        problem = Hl7Problem(f"MLLP frame refused: {error}", "MSH", 0, "AR", "100")
        raw = error.partial.decode("utf-8", errors="replace")
        await self.processor.inbox.dead_letter(None, raw, peer, problem.message, "MLLP", "AR")
        writer.write(frame(ack(None, "AR", problem)))
        await writer.drain()
