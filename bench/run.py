"""Run the benchmark matrix: our server, the bare-ASGI read ceiling, the direct-insert ceiling.

Everything runs on one embedded PostgreSQL (and Redis) under a temporary folder, on
loopback ports; every process started here is stopped on the way out, failure included.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import orjson
import psycopg

from bench import report
from bench.matrix import BARE_ASGI, DIRECT_INSERT, SERVER, Config, Row, parse_config
from bench.processes import (
    Child,
    cpu_seconds,
    cpu_spent,
    family_pids,
    free_port,
    session_pids,
    wait_ready,
)
from bench.seed import Bodies, seed_patients, write_bodies
from bench.wrk import Load, Measured, measured_from_latencies, run_wrk
from fhir_server.embedded import EmbeddedServices, ServiceUrls

REPO = Path(__file__).resolve().parent.parent
STARTUP_LINE = "Application startup complete"
SINGLE_CONNECTION_S = 5.0


def libpq_url(database_url: str) -> str:
    """The SQLAlchemy URL in the form psycopg and libpq take."""
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1)


@dataclass(frozen=True)
class Served:
    """A started HTTP server: its port and its process group."""

    port: int
    child: Child


class Bench:
    """One run of the matrix against the services of ``urls``."""

    def __init__(self, config: Config, folder: Path, urls: ServiceUrls) -> None:
        self.config = config
        self.folder = folder
        self.urls = urls
        self.bodies: Bodies = write_bodies(folder)
        self.seeded = False
        self.rows: list[Row] = []

    def run(self) -> list[Row]:
        """Per worker count, each of our runs right next to its ceiling's, so that a drift in
        the machine's load hits both sides of a ratio alike. The server starts first: it
        migrates the schema that the bare app and the inserts use."""
        for workers in self.config.workers:
            with self.server(workers) as server:
                self.seed_once(server.port)
                for connections in self.config.connections:
                    self._pairs(workers, connections, server)
        self._single_connection_insert()
        return self.rows

    def _pairs(self, workers: int, connections: int, server: Served) -> None:
        for scenario in self.config.scenarios:
            if scenario == "read":
                # The bare app runs only beside the reads, so that its pool's connections
                # and the insert clients' stay under PostgreSQL's max_connections (100).
                with self.bare_asgi(workers) as bare:
                    self._measure(SERVER, scenario, workers, connections, server)
                    self._measure(BARE_ASGI, "read", workers, connections, bare)
                continue
            self._measure(SERVER, scenario, workers, connections, server)
            if scenario == "create":
                self._direct_insert(workers, connections)

    def _log(self, text: str) -> None:
        print(text, flush=True)

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "NUTRIVISION_DATABASE_URL": self.urls.database_url,
            "NUTRIVISION_REDIS_URL": self.urls.redis_url,
            "NUTRIVISION_DATA_DIR": str(self.folder / "data"),
            "BENCH_DATABASE_URL": libpq_url(self.urls.database_url),
        }

    @contextmanager
    def _serving(self, name: str, argv: list[str], port: int, workers: int) -> Iterator[Served]:
        log = self.folder / f"{name}-{workers}w.log"
        child = Child(name, argv, self._env(), self.folder, log)
        try:
            wait_ready(child, port, "/health")
            _wait_workers(child, workers)
            self._log(f"{name}: {workers} worker(s) on port {port}, leader pid {child.pid}")
            yield Served(port, child)
        finally:
            child.stop()

    def server(self, workers: int) -> AbstractContextManager[Served]:
        """``nutrivision serve``, which also migrates the schema the bare app reads."""
        port = free_port()
        nutrivision = _nutrivision()
        argv = [nutrivision, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-auth"]
        argv += ["--workers", str(workers), "--log-level", "info"]
        return self._serving("server", argv, port, workers)

    def bare_asgi(self, workers: int) -> AbstractContextManager[Served]:
        port = free_port()
        argv = [sys.executable, "-m", "uvicorn", "bench.bare_asgi:app", "--app-dir", str(REPO)]
        argv += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        argv += ["--log-level", "info", "--no-access-log"]
        return self._serving("bare-asgi", argv, port, workers)

    def seed_once(self, port: int) -> None:
        """Create the Patients that reads and updates use, the first time only."""
        if not self.seeded:
            started = time.monotonic()
            ids = seed_patients(port, self.bodies, self.config.seed_count)
            self.seeded = True
            self._log(f"seeded {len(ids)} Patients in {time.monotonic() - started:.1f}s")

    def script_args(self, scenario: str) -> list[str]:
        """The arguments after ``--`` that ``lua/<scenario>.lua`` reads."""
        bodies = self.bodies
        return {
            "read": [str(bodies.ids)],
            "create": [str(bodies.create)],
            "update": [str(bodies.update_template), str(bodies.ids)],
        }[scenario]

    def _measure(
        self, target: str, scenario: str, workers: int, connections: int, served: Served
    ) -> None:
        url = f"http://127.0.0.1:{served.port}/fhir/Patient"
        args = self.script_args(scenario)
        threads = min(self.config.threads, connections)
        if self.config.warmup_s > 0:
            run_wrk(url, scenario, Load(connections, threads, self.config.warmup_s), args)
        self._checkpoint()
        app_before, db_before = _app_cpu(served), self._db_cpu()
        measured = run_wrk(url, scenario, Load(connections, threads, self.config.duration_s), args)
        app_cpu = cpu_spent(app_before, _app_cpu(served))
        measured = measured.with_cpu(app_cpu, cpu_spent(db_before, self._db_cpu()))
        self._record(Row(target, scenario, workers, connections, measured))

    def _db_cpu(self) -> dict[int, float]:
        """CPU seconds so far of the postmaster and its backends (first line: its pid)."""
        pid_file = self.folder / "data" / "postgres" / "postmaster.pid"
        postmaster = int(pid_file.read_text().split()[0])
        return cpu_seconds(family_pids(postmaster), reaper=postmaster)

    def _record(self, row: Row) -> None:
        self.rows.append(row)
        m = row.measured
        errors = f"  ERRORS {m.errors} (non-2xx {m.status_errors})" if m.errors else ""
        self._log(
            f"{row.target:>13} {row.scenario:<6} workers={row.workers} conns={row.connections:<3}"
            f" {m.rps:9.1f}/s  p50 {m.p50_ms:7.2f} ms  p99 {m.p99_ms:7.2f} ms"
            f"  CPU/req app {m.app_cpu_us or 0:6.0f} us db {m.db_cpu_us or 0:5.0f} us{errors}"
        )

    def _checkpoint(self) -> None:
        # A checkpoint before each measured run, so none lands inside one by chance.
        with psycopg.connect(libpq_url(self.urls.database_url), autocommit=True) as conn:
            conn.execute("CHECKPOINT")

    def _direct_insert(self, workers: int, connections: int) -> None:
        """The create ceiling with one client process per server worker, connections split."""
        shares = [connections // workers + (i < connections % workers) for i in range(workers)]
        measured = self._direct_inserts([n for n in shares if n], self.config.duration_s)
        self._record(Row(DIRECT_INSERT, "insert", workers, connections, measured))

    def _single_connection_insert(self) -> None:
        if "create" in self.config.scenarios:
            measured = self._direct_inserts([1], min(self.config.duration_s, SINGLE_CONNECTION_S))
            self._record(Row(DIRECT_INSERT, "insert", 1, 1, measured))

    def _direct_inserts(self, per_process: list[int], duration_s: float) -> Measured:
        """One ``bench.direct_insert`` process per entry, all sharing one measured window."""
        self._checkpoint()
        start_at = time.time() + 1.5
        base = [sys.executable, "-m", "bench.direct_insert", "--start-at", f"{start_at:.3f}"]
        base += ["--database-url", libpq_url(self.urls.database_url)]
        base += ["--duration", f"{duration_s:g}", "--warmup", f"{self.config.warmup_s:g}"]
        procs = [
            subprocess.Popen(
                [*base, "--connections", str(n)],
                cwd=REPO,
                stdout=subprocess.PIPE,
                start_new_session=True,
            )
            for n in per_process
        ]
        try:
            window_start = start_at + self.config.warmup_s
            time.sleep(max(0.0, window_start - time.time()))
            db_before = self._db_cpu()
            time.sleep(max(0.0, window_start + duration_s - time.time()))
            db_cpu = cpu_spent(db_before, self._db_cpu())
        finally:
            measured, app_cpu = _collect(procs, duration_s, duration_s + self.config.warmup_s + 60)
        return measured.with_cpu(app_cpu, db_cpu)


def _collect(
    procs: list[subprocess.Popen[bytes]], duration_s: float, timeout_s: float
) -> tuple[Measured, float]:
    """The merged figures of the insert processes, and their CPU seconds in the window."""
    latencies: list[int] = []
    cpu_s = 0.0
    try:
        for proc in procs:
            out, _ = proc.communicate(timeout=timeout_s)
            if proc.returncode != 0:
                raise RuntimeError(f"direct insert process failed with {proc.returncode}")
            report = orjson.loads(out)
            latencies += report["latencies_us"]
            cpu_s += report["cpu_s"]
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    return measured_from_latencies(latencies, duration_s), cpu_s


def _app_cpu(served: Served) -> dict[int, float]:
    return cpu_seconds(session_pids(served.child.pid), reaper=served.child.pid)


def _nutrivision() -> str:
    """The ``nutrivision`` command beside this interpreter, else the one on PATH."""
    beside = Path(sys.executable).with_name("nutrivision")
    found = str(beside) if beside.exists() else shutil.which("nutrivision")
    if found is None:
        raise RuntimeError("`nutrivision` not found: install the project (pip install -e .)")
    return found


def _wait_workers(child: Child, workers: int, timeout_s: float = 60.0) -> None:
    """Until every worker has logged its startup, so none is still importing when wrk starts."""
    deadline = time.monotonic() + timeout_s
    while child.log.read_text(errors="replace").count(STARTUP_LINE) < workers:
        if time.monotonic() > deadline or not child.alive():
            raise RuntimeError(f"{child.name}: workers did not all start:\n{child.tail()}")
        time.sleep(0.2)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    """Run the matrix, print the table, write JSON and Markdown under the results folder."""
    config = parse_config(argv)
    signal.signal(signal.SIGTERM, _terminate)
    machine = report.machine_info()
    machine["code"] = report.code_revision(config.label)
    print(f"nproc: {machine['nproc']}  ({machine['cpu_model']})", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nv-bench-") as tmp:
        folder = Path(tmp)
        with EmbeddedServices(folder / "data") as urls:
            machine["postgres"] = report.postgres_version(libpq_url(urls.database_url))
            rows = Bench(config, folder, urls).run()
    machine["wall_s"] = round(time.monotonic() - started, 1)
    machine["loadavg_at_end"] = report.load_average()
    written = report.write(config, machine, rows)
    print(report.markdown(config, machine, rows), flush=True)
    print(f"results: {', '.join(str(path) for path in written)}", flush=True)


if __name__ == "__main__":
    main()
