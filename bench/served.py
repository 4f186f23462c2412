"""A ``nutrivision serve`` child on embedded services under one folder, and its CPU time.

The folder holds ``services/`` (the embedded PostgreSQL and Redis) and ``data/`` (the data
directory: keys, files), as the benchmarks lay them out.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from bench.processes import (
    Child,
    cpu_seconds,
    cpu_spent,
    family_pids,
    free_port,
    session_pids,
    wait_ready,
)
from bench.run import _nutrivision, _wait_workers
from fhir_server.embedded import ServiceUrls

CpuMark = tuple[dict[int, float], dict[int, float]]


def serve(
    urls: ServiceUrls, folder: Path, workers: int, env: Mapping[str, str] | None = None
) -> tuple[Child, int]:
    """A started server (auth off) with ``workers`` processes, and its port."""
    port = free_port()
    argv = [_nutrivision(), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-auth"]
    argv += ["--workers", str(workers), "--log-level", "info"]
    settings = {
        "NUTRIVISION_DATABASE_URL": urls.database_url,
        "NUTRIVISION_REDIS_URL": urls.redis_url,
        "NUTRIVISION_DATA_DIR": str(folder / "data"),
        **(env or {}),
    }
    log = folder / f"server-{port}.log"
    child = Child("server", argv, {**os.environ, **settings}, folder, log)
    try:
        wait_ready(child, port, "/health")
        _wait_workers(child, workers)
    except RuntimeError:
        print(child.tail(40), file=sys.stderr)
        child.stop()
        raise
    return child, port


def cpu_mark(child: Child, folder: Path) -> CpuMark:
    """CPU seconds so far of the server's processes and of PostgreSQL's."""
    postmaster = int((folder / "services/postgres/postmaster.pid").read_text().split()[0])
    return (
        cpu_seconds(session_pids(child.pid), reaper=child.pid),
        cpu_seconds(family_pids(postmaster), reaper=postmaster),
    )


def cpu_since(child: Child, folder: Path, mark: CpuMark) -> tuple[float, float]:
    """CPU seconds of the server and of PostgreSQL since ``mark``."""
    app, db = cpu_mark(child, folder)
    return cpu_spent(mark[0], app), cpu_spent(mark[1], db)
