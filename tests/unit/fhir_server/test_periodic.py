"""A periodic background pass stops between passes, whatever a pass does with a cancellation
(``fhir_server/periodic.py``)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from fhir_server.outage_log import OutageLog
from fhir_server.periodic import Periodic

EVERY_S = 0.005
STOP_WITHIN_S = 5.0


class Passes:
    """A pass that takes a while and absorbs the first cancellation that reaches it, as a
    driver's cleanup can; every pass started and finished is counted."""

    def __init__(self) -> None:
        self.started = 0
        self.finished = 0
        self.absorbed = 0
        self.under_way = asyncio.Event()
        self.two_finished = asyncio.Event()

    async def __call__(self) -> None:
        self.started += 1
        self.under_way.set()
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            if self.absorbed:
                raise
            self.absorbed += 1
        self.finished += 1
        if self.finished == 2:
            self.two_finished.set()


def _periodic(run_pass: Passes) -> Periodic:
    return Periodic(EVERY_S, run_pass, OutageLog(logging.getLogger("tests.periodic"), "pass"))


async def _stopped_during_a_pass() -> Passes:
    passes = Passes()
    periodic = _periodic(passes)
    periodic.start()
    await passes.under_way.wait()
    stopping = asyncio.create_task(periodic.stop())
    done, _ = await asyncio.wait({stopping}, timeout=STOP_WITHIN_S)
    assert stopping in done, "stop() still waiting for a loop that absorbed a cancellation"
    return passes


def test_stop_during_a_pass_that_absorbs_a_cancellation_returns_after_it() -> None:
    passes = asyncio.run(_stopped_during_a_pass())
    assert passes.started == passes.finished == 1


async def _stopped_between_passes() -> tuple[int, int]:
    passes = Passes()
    periodic = _periodic(passes)
    periodic.start()
    await passes.two_finished.wait()
    await asyncio.wait_for(periodic.stop(), STOP_WITHIN_S)
    at_stop = passes.started
    await asyncio.sleep(20 * EVERY_S)
    return at_stop, passes.started


def test_no_pass_runs_after_stop() -> None:
    at_stop, later = asyncio.run(_stopped_between_passes())
    assert at_stop >= 2
    assert later == at_stop


async def _failing_then_stopped(outage: OutageLog) -> int:
    calls = 0
    three_failed = asyncio.Event()

    async def failing() -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            three_failed.set()
        raise ConnectionRefusedError("database away")

    periodic = Periodic(EVERY_S, failing, outage, lambda: "3 kept")
    periodic.start()
    await three_failed.wait()
    await asyncio.wait_for(periodic.stop(), STOP_WITHIN_S)
    return calls


def test_failed_passes_go_to_the_outage_log_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outage = OutageLog(logging.getLogger("tests.periodic"), "pass")
    with caplog.at_level(logging.INFO, "tests.periodic"):
        calls = asyncio.run(_failing_then_stopped(outage))
    assert outage.failures == calls >= 3
    assert [r.getMessage() for r in caplog.records] == [
        "pass failed; 3 kept; retrying, the next failures are not logged each"
    ]
