"""How much analysis a process takes on: upload size, concurrent analyses, time per request.

Recognition is CPU-bound work run in a thread. At most ``concurrency`` run at once; a request
that cannot start within ``queue_wait_s``, or whose analysis takes longer than ``timeout_s``,
is answered 503 with a Retry-After. A thread cannot be stopped, so a timed-out analysis keeps
its slot until it ends: a stuck model makes the server refuse work rather than pile it up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from resources import error_codes
from resources.errors import ServiceUnavailable

SERVICE_GATE = "analyze-food-gate"
"""The name under which the composition root offers this process's ``AnalysisGate``."""
T = TypeVar("T")


@dataclass(frozen=True)
class AnalysisLimits:
    """The limits (settings ``analyze_food_*``)."""

    max_upload_bytes: int = 10 * 1024 * 1024
    concurrency: int = 2
    timeout_s: float = 20.0
    queue_wait_s: float = 5.0


class AnalysisGate:
    """Runs analyses in threads within the limits."""

    def __init__(self, limits: AnalysisLimits) -> None:
        self.limits = limits
        self._slots = asyncio.Semaphore(limits.concurrency)

    def saturated(self) -> bool:
        """True while every slot is taken (a new request would wait)."""
        return self._slots.locked()

    async def run(self, work: Callable[[], T]) -> T:
        """``work()`` in a thread, or 503 when the server is busy or the work too slow."""
        retry = {"Retry-After": str(max(1, round(self.limits.timeout_s)))}
        try:
            await asyncio.wait_for(self._slots.acquire(), self.limits.queue_wait_s)
        except TimeoutError as error:
            raise ServiceUnavailable(
                "Food analysis is busy: try again shortly",
                error_codes.ANALYZE_FOOD_OVERLOADED,
                headers=retry,
            ) from error
        task = asyncio.ensure_future(asyncio.to_thread(work))
        task.add_done_callback(lambda _: self._slots.release())
        try:
            return await asyncio.wait_for(asyncio.shield(task), self.limits.timeout_s)
        except TimeoutError as error:
            raise ServiceUnavailable(
                f"Food analysis took longer than {self.limits.timeout_s:g} s",
                error_codes.ANALYZE_FOOD_TIMEOUT,
                headers=retry,
            ) from error


_default: AnalysisGate | None = None


def default_gate() -> AnalysisGate:
    """The process's gate with default limits, when the composition root offers none."""
    global _default  # one gate per process, made on first use
    if _default is None:
        _default = AnalysisGate(AnalysisLimits())
    return _default
