"""HL7 v2 over MLLP: messages per second over 1 and 8 connections, and ACK latency.

``python -m bench.hl7_mllp`` starts an embedded PostgreSQL and Redis under a temporary
folder, runs ``nutrivision mllp`` as its own process, and drives it with asyncio MLLP
clients (one connection each, one message in flight per connection, as MLLP senders do).
Every message is new (its own MSH-10, one patient in 20 new), so every one is stored,
mapped and written. Latency is from the frame's last byte sent to the ACK's last byte read,
on 127.0.0.1: the server's frame-to-ACK time plus two loopback hops. Scenarios: ADT^A01
(Patient, Encounter, allergy), ORU^R01 (report and three results), both in original mode
and ORU in enhanced mode (commit ACK once stored).

``--ack stored`` (the default, as the server's): AA once mapped and stored; the inbox
worker process writes the messages meanwhile, and after the scenarios its rate is measured
alone on the backlog left (messages written per second, over ``--seconds``).
``--ack processed``: AA after the FHIR write, so the ACK rate is the processing rate.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy

from fhir_server.db import migrate
from fhir_server.embedded import EmbeddedServices

START, END = b"\x0b", b"\x1c\x0d"
_COUNTER = itertools.count()


def adt(n: int, enhanced: bool) -> bytes:
    """An ADT^A01 with PID, PV1 and an allergy."""
    mode = "|||AL|NE" if enhanced else ""
    return (
        f"MSH|^~\\&|BENCH|BENCHFAC|NV|NV|20260101120000+0000||ADT^A01|A{n}|P|2.5{mode}\r"
        f"PID|1||MRN{n // 20}^^^HOSP^MR||DOE^JANE^Q||19800102|F|||1 MAIN ST^^TOWN^ST^12345\r"
        f"PV1|1|I|W^1^A||||||||||||||||V{n}|||||||||||||||||||||||||20260101080000+0000\r"
        "AL1|1|DA|70618^Penicillin^RXNORM|SV|Anaphylaxis\r"
    ).encode()


def oru(n: int, enhanced: bool) -> bytes:
    """An ORU^R01 with one OBR and three OBX (HbA1c, glucose, potassium); its PID names
    the patient as the ADT does (a known patient's Patient is unchanged by it)."""
    mode = "|||AL|NE" if enhanced else ""
    return (
        f"MSH|^~\\&|LAB|BENCHLAB|NV|NV|20260101120000+0000||ORU^R01|O{n}|P|2.5.1{mode}\r"
        f"PID|1||MRN{n // 20}^^^HOSP^MR||DOE^JANE^Q||19800102|F\r"
        f"OBR|1|P{n}|F{n}|24331-1^Panel^LN|||20260101090000+0000||||||||||||||||||F\r"
        "OBX|1|NM|4548-4^Hemoglobin A1c^LN||7.9|%^%^UCUM|4.0-5.6|H|||F\r"
        "OBX|2|NM|2345-7^Glucose^LN||182|mg/dL^mg/dL^UCUM|70-99|H|||F\r"
        "OBX|3|NM|2823-3^Potassium^LN||4.2|mmol/L^mmol/L^UCUM|3.5-5.1|N|||F\r"
    ).encode()


@dataclass
class Result:
    """One scenario's figures."""

    name: str
    connections: int
    messages: int
    seconds: float
    latencies_ms: list[float]
    not_acked: int

    def line(self) -> str:
        """A Markdown table row."""
        lat = sorted(self.latencies_ms)
        p50 = statistics.median(lat) if lat else 0.0
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else 0.0
        rate = self.messages / self.seconds
        return (
            f"| {self.name} | {self.connections} | {rate:.0f} | {p50:.1f} | {p99:.1f} "
            f"| {self.messages} | {self.not_acked} |"
        )


async def _sender(port: int, make: object, enhanced: bool, stop: float, out: Result) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    builder = make if callable(make) else adt
    wanted = b"MSA|CA|" if enhanced else b"MSA|AA|"
    try:
        while time.monotonic() < stop:
            frame = START + builder(next(_COUNTER), enhanced) + END
            sent = time.perf_counter()
            writer.write(frame)
            await writer.drain()
            answer = await reader.readuntil(END)
            out.latencies_ms.append((time.perf_counter() - sent) * 1000)
            out.messages += 1
            if wanted not in answer:
                out.not_acked += 1
    finally:
        writer.close()


async def scenario(
    port: int, name: str, connections: int, seconds: float, enhanced: bool
) -> Result:
    """Run ``connections`` senders for ``seconds``."""
    make = adt if name.startswith("ADT") else oru
    result = Result(name, connections, 0, seconds, [], 0)
    stop = time.monotonic() + seconds
    began = time.monotonic()
    await asyncio.gather(*(_sender(port, make, enhanced, stop, result) for _ in range(connections)))
    result.seconds = time.monotonic() - began
    return result


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("nutrivision mllp exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("nutrivision mllp did not start")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _processed(database_url: str) -> tuple[int, int]:
    """Inbox rows written, and rows still waiting."""
    engine = sqlalchemy.create_engine(database_url)
    query = "SELECT count(*) FILTER (WHERE status = 'processed'), count(*) FILTER (WHERE status IN ('received', 'processing')) FROM hl7_inbox"  # noqa: E501
    with engine.connect() as conn:
        done, waiting = conn.execute(sqlalchemy.text(query)).one()
    engine.dispose()
    return int(done), int(waiting)


def processing_rate(database_url: str, seconds: float) -> str:
    """The worker's rate on the backlog, with no new messages arriving."""
    before, waiting = _processed(database_url)
    time.sleep(seconds)
    after, left = _processed(database_url)
    rate = (after - before) / seconds
    return f"processing (worker, backlog {waiting} -> {left}): {rate:.1f} messages/s"


async def _matrix(port: int, seconds: float) -> list[Result]:
    await scenario(port, "ADT^A01", 2, 1.0, False)  # warm-up: connections, plans, caches
    results = []
    for name, enhanced in (("ADT^A01", False), ("ORU^R01", False), ("ORU^R01 enhanced", True)):
        for connections in (1, 8):
            results.append(await scenario(port, name, connections, seconds, enhanced))
    return results


def main() -> None:
    """Start the servers, run the scenarios, print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per scenario")
    parser.add_argument("--processes", type=int, default=1, help="nutrivision mllp processes")
    parser.add_argument("--ack", choices=("stored", "processed"), default="stored")
    parser.add_argument(
        "--worker-seconds", type=float, help="the worker's rate over this (2 x --seconds)"
    )
    args = parser.parse_args()
    processing = ""
    with tempfile.TemporaryDirectory(prefix="nv-hl7-bench-") as folder:
        embedded = EmbeddedServices(Path(folder))
        urls = embedded.start()
        try:
            migrate.upgrade(urls.database_url)
            port = _free_port()
            env = {
                **os.environ,
                "NUTRIVISION_DATABASE_URL": urls.database_url,
                "NUTRIVISION_REDIS_URL": urls.redis_url,
                "NUTRIVISION_MLLP_ACK": args.ack,
            }
            command = [sys.executable, "-m", "fhir_server", "mllp", "--port", str(port),
                       "--processes", str(args.processes)]  # fmt: skip
            server = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
            try:
                _wait_for(port, server)
                results = asyncio.run(_matrix(port, args.seconds))
                if args.ack == "stored":
                    drain = args.worker_seconds or args.seconds * 2
                    processing = processing_rate(urls.database_url, drain)
            finally:
                server.send_signal(signal.SIGINT)
                server.wait(timeout=30)
        finally:
            embedded.stop()
    print(f"cores: {os.cpu_count()}, load average at end: {os.getloadavg()[0]:.2f}, "
          f"listener processes: {args.processes}, ACK: {args.ack}")  # fmt: skip
    print("| scenario | connections | messages/s | p50 ms | p99 ms | messages | not AA/CA |")
    print("|---|---|---|---|---|---|---|")
    for result in results:
        print(result.line())
    if processing:
        print(processing)


if __name__ == "__main__":
    main()
