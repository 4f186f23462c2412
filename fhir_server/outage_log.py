"""How a background loop that retries (the audit flusher, the job runner, the data-key refresh,
the search parameter notices) says its database or Redis is away: once per outage, not once
per attempt.

The first failure is logged with its traceback; while the failures go on, one line a minute
says so and how many attempts failed; the first success after them says the outage is over
and how long it lasted. A loop retrying every 0.1 s would otherwise write ten tracebacks a
second for as long as PostgreSQL is down, and bury the one that says why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

REMIND_EVERY_S = 60.0


class OutageLog:
    """The failures of one retrying loop, logged on ``logger`` under the name ``what``."""

    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        remind_every_s: float = REMIND_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.what = what
        self.remind_every_s = remind_every_s
        self.clock = clock
        self.failures = 0
        self._since: float | None = None
        self._reminded = 0.0

    def failed(self, detail: str = "") -> None:
        """Call from the ``except`` block of a failed attempt; ``detail`` is added to the
        line (what is kept for the next attempt, say)."""
        now = self.clock()
        self.failures += 1
        suffix = f"; {detail}" if detail else ""
        if self._since is None:
            self._since = self._reminded = now
            self.logger.exception(
                "%s failed%s; retrying, the next failures are not logged each", self.what, suffix
            )
        elif now - self._reminded >= self.remind_every_s:
            self._reminded = now
            self.logger.error(
                "%s still failing: %d attempts over %.0f s%s",
                self.what,
                self.failures,
                now - self._since,
                suffix,
            )

    def succeeded(self) -> None:
        """Call after a successful attempt: ends an outage, if there was one."""
        if self._since is None:
            return
        self.logger.warning(
            "%s works again after %d failed attempts over %.1f s",
            self.what,
            self.failures,
            self.clock() - self._since,
        )
        self._since = None
        self.failures = 0
