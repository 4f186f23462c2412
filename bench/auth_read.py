"""The cost of bearer-token checks: read-by-id with and without auth, in the same run.

Two servers on one embedded PostgreSQL and Redis: ``serve --no-auth`` and ``serve`` (auth
on, same data directory, so the same signing key). Patients are created through the first;
a token comes from ``nutrivision token``; then wrk reads alternately from each, so a drift in
the machine's load hits both alike. Per request the auth server verifies an RS384 signature
and asks Redis whether the token or its grant was revoked (one MGET).

    python -m bench.auth_read [--duration 5] [--connections 16] [--rounds 2] [--seed 300]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.processes import Child, cpu_seconds, cpu_spent, free_port, session_pids, wait_ready
from bench.run import _nutrivision, _wait_workers
from bench.seed import seed_patients, write_bodies
from bench.wrk import Load, Measured, run_wrk
from fhir_server.embedded import EmbeddedServices, ServiceUrls


def _env(urls: ServiceUrls, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "NUTRIVISION_DATABASE_URL": urls.database_url,
        "NUTRIVISION_REDIS_URL": urls.redis_url,
        "NUTRIVISION_DATA_DIR": str(data_dir),
    }


@dataclass(frozen=True)
class Server:
    """A started server: its port and process group."""

    port: int
    child: Child

    def cpu(self) -> dict[int, float]:
        """CPU seconds so far of the server's processes."""
        return cpu_seconds(session_pids(self.child.pid), reaper=self.child.pid)


@contextmanager
def _serve(name: str, env: dict[str, str], folder: Path, extra: list[str]) -> Iterator[Server]:
    port = free_port()
    argv = [_nutrivision(), "serve", "--host", "127.0.0.1", "--port", str(port), *extra]
    child = Child(name, argv, env, folder, folder / f"{name}.log")
    try:
        wait_ready(child, port, "/health")
        _wait_workers(child, 1)
        yield Server(port, child)
    finally:
        child.stop()


def _token(env: dict[str, str]) -> str:
    done = subprocess.run(
        [_nutrivision(), "token"], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _line(label: str, measured: Measured, cpu_us: float) -> str:
    return (
        f"{label:<8} {measured.rps:8.0f} req/s  p50 {measured.p50_ms:6.2f} ms  "
        f"p99 {measured.p99_ms:6.2f} ms  server CPU {cpu_us:6.0f} us/req  "
        f"errors {measured.errors}"
    )


def _measure(server: Server, script: str, load: Load, args: list[str]) -> tuple[Measured, float]:
    before = server.cpu()
    measured = run_wrk(f"http://127.0.0.1:{server.port}", script, load, args)
    spent = cpu_spent(before, server.cpu())
    return measured, spent * 1e6 / max(1, measured.requests)


def main(argv: list[str] | None = None) -> None:
    """Run the paired reads and print req/s for each side and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=300)
    args = parser.parse_args(argv)
    load = Load(args.connections, 1, args.duration)
    with tempfile.TemporaryDirectory(prefix="nv-bench-auth-") as tmp:
        folder = Path(tmp)
        with EmbeddedServices(folder / "services") as urls, ExitStack() as stack:
            env = _env(urls, folder / "data")
            open_server = stack.enter_context(_serve("no-auth", env, folder, ["--no-auth"]))
            auth_server = stack.enter_context(_serve("auth", env, folder, []))
            bodies = write_bodies(folder)
            seed_patients(open_server.port, bodies, args.seed)
            token = _token(env)
            rps = {"no-auth": 0.0, "auth": 0.0}
            cpu = {"no-auth": 0.0, "auth": 0.0}
            for _ in range(args.rounds):
                for label, server, script, extra in (
                    ("no-auth", open_server, "read", []),
                    ("auth", auth_server, "read_auth", [token]),
                ):
                    measured, cpu_us = _measure(server, script, load, [str(bodies.ids), *extra])
                    rps[label] += measured.rps
                    cpu[label] += cpu_us / args.rounds
                    print(_line(label, measured, cpu_us), flush=True)
    ratio = rps["auth"] / rps["no-auth"] if rps["no-auth"] else 0.0
    print(f"auth / no-auth throughput: {ratio:.2f}", flush=True)
    print(f"server CPU per request: no-auth {cpu['no-auth']:.0f} us, auth {cpu['auth']:.0f} us")


if __name__ == "__main__":
    main()
