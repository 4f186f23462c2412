"""The cost of the audit trail: read-by-id with auditing on and off, in the same run.

Two ``serve --no-auth`` servers on one embedded PostgreSQL and Redis, one with
``NUTRIVISION_AUDIT_ENABLED=false``. Patients are created through the second (so their
creates are not audited); then wrk reads alternately from each, so a drift in the machine's
load hits both alike. With auditing on, each read builds an AuditEvent, queues it, and the
background flusher writes the queue in one INSERT per batch and seals the hash chain.

    python -m bench.audit_read [--duration 5] [--connections 16] [--rounds 2] [--seed 300]
                               [--warmup 1]
"""

from __future__ import annotations

import argparse
import tempfile
from contextlib import ExitStack
from pathlib import Path

from bench.auth_read import _env, _line, _measure, _serve
from bench.seed import seed_patients, write_bodies
from bench.wrk import Load
from fhir_server.embedded import EmbeddedServices


def main(argv: list[str] | None = None) -> None:
    """Run the paired reads and print req/s for each side and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=300)
    parser.add_argument("--warmup", type=float, default=1.0)
    args = parser.parse_args(argv)
    load = Load(args.connections, 1, args.duration)
    labels = ("audit-off", "audit-on")
    with tempfile.TemporaryDirectory(prefix="nv-bench-audit-") as tmp:
        folder = Path(tmp)
        with EmbeddedServices(folder / "services") as urls, ExitStack() as stack:
            env = _env(urls, folder / "data")
            off_env = {**env, "NUTRIVISION_AUDIT_ENABLED": "false"}
            off = stack.enter_context(_serve("audit-off", off_env, folder, ["--no-auth"]))
            on = stack.enter_context(_serve("audit-on", env, folder, ["--no-auth"]))
            bodies = write_bodies(folder)
            seed_patients(off.port, bodies, args.seed)
            warm = Load(args.connections, 1, args.warmup)
            for server in (off, on):  # per-process caches and pools filled on both sides
                _measure(server, "read", warm, [str(bodies.ids)])
            rps = dict.fromkeys(labels, 0.0)
            cpu = dict.fromkeys(labels, 0.0)
            for _ in range(args.rounds):
                for label, server in zip(labels, (off, on), strict=True):
                    measured, cpu_us = _measure(server, "read", load, [str(bodies.ids)])
                    rps[label] += measured.rps
                    cpu[label] += cpu_us / args.rounds
                    print(_line(label, measured, cpu_us), flush=True)
    ratio = rps["audit-on"] / rps["audit-off"] if rps["audit-off"] else 0.0
    print(f"audit-on / audit-off throughput: {ratio:.2f}", flush=True)
    print(f"server CPU per request: off {cpu['audit-off']:.0f} us, on {cpu['audit-on']:.0f} us")


if __name__ == "__main__":
    main()
