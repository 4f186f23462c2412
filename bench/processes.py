"""Child processes in their own process groups, stopped for sure; loopback ports; readiness."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

STOP_GRACE_S = 15.0


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Child:
    """A started command in a new session, so that it and its workers stop as one group."""

    def __init__(
        self, name: str, argv: Sequence[str], env: Mapping[str, str], cwd: Path, log: Path
    ) -> None:
        self.name = name
        self.log = log
        with log.open("wb") as sink:
            self.process = subprocess.Popen(
                list(argv),
                env=dict(env),
                cwd=cwd,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        """The leader's process id (also the group id)."""
        return self.process.pid

    def alive(self) -> bool:
        """Whether the leader still runs."""
        return self.process.poll() is None

    def stop(self) -> None:
        """SIGINT to the group (uvicorn's graceful stop), then SIGKILL after a grace period."""
        for sig, wait_s in ((signal.SIGINT, STOP_GRACE_S), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline and _group_alive(self.pid):
                self.process.poll()
                time.sleep(0.1)
            if not _group_alive(self.pid):
                break
        self.process.poll()

    def tail(self, lines: int = 30) -> str:
        """The end of the child's log, for error messages."""
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def http_status(port: int, path: str, timeout: float = 2.0) -> int | None:
    """The status of ``GET path`` on the loopback port, or ``None`` when nothing answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


def wait_ready(child: Child, port: int, path: str, timeout_s: float = 90.0) -> None:
    """Block until ``GET path`` answers 200, failing early if the child died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not child.alive():
            raise RuntimeError(f"{child.name} exited during start:\n{child.tail()}")
        if http_status(port, path) == 200:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{child.name} not ready after {timeout_s:.0f}s:\n{child.tail()}")


def worker_pids(leader: int) -> list[int]:
    """Direct children of ``leader`` (uvicorn's worker processes)."""
    return family_pids(leader)[1:]


_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Fields after the parenthesised command name, from field 3 (state) on.
    return text.rsplit(")", 1)[1].split()


def cpu_seconds(pids: list[int], reaper: int | None = None) -> dict[int, float]:
    """User plus system CPU seconds of each process still alive; for ``reaper`` also those
    of its children that have exited, so that short-lived ones (PostgreSQL backends of
    pool overflow connections) are not lost."""
    found: dict[int, float] = {}
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            ticks = int(fields[11]) + int(fields[12])
            if pid == reaper:
                ticks += int(fields[13]) + int(fields[14])
            found[pid] = ticks / _TICKS
    return found


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two ``cpu_seconds`` readings (processes started between count whole)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def _all_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def session_pids(session: int) -> list[int]:
    """Processes of a session: a ``Child`` and every worker it forked or spawned."""
    pids = []
    for pid in _all_pids():
        fields = _stat_fields(pid)
        if fields is not None and int(fields[3]) == session:
            pids.append(pid)
    return pids


def family_pids(parent: int) -> list[int]:
    """A process and its direct children (PostgreSQL's postmaster and its backends)."""
    pids = [parent]
    for pid in _all_pids():
        fields = _stat_fields(pid)
        if fields is not None and int(fields[1]) == parent:
            pids.append(pid)
    return pids
