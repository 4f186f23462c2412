"""A retrying loop's failures are logged once per outage (``fhir_server/outage_log.py``)."""

from __future__ import annotations

import logging

import pytest

from fhir_server.outage_log import OutageLog

LOGGER = logging.getLogger("tests.outage")


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _fail(outage: OutageLog, detail: str = "") -> None:
    try:
        raise ConnectionRefusedError("database away")
    except ConnectionRefusedError:
        outage.failed(detail)


def _records(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str, bool]]:
    return [(r.levelno, r.getMessage(), r.exc_info is not None) for r in caplog.records]


def test_an_outage_is_logged_once_with_its_cause_then_its_end(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    outage = OutageLog(LOGGER, "flush", remind_every_s=60, clock=clock)
    with caplog.at_level(logging.DEBUG, LOGGER.name):
        for _ in range(50):  # 5 s of a loop retrying every 0.1 s
            _fail(outage, "3 events kept")
            clock.now += 0.1
        outage.succeeded()
    assert _records(caplog) == [
        (
            logging.ERROR,
            "flush failed; 3 events kept; retrying, the next failures are not logged each",
            True,
        ),
        (logging.WARNING, "flush works again after 50 failed attempts over 5.0 s", False),
    ]


def test_a_long_outage_is_recalled_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    outage = OutageLog(LOGGER, "claiming", remind_every_s=60, clock=clock)
    with caplog.at_level(logging.DEBUG, LOGGER.name):
        for _ in range(150):  # 150 s, one attempt a second
            _fail(outage)
            clock.now += 1
    reminders = [r.getMessage() for r in caplog.records if r.exc_info is None]
    assert reminders == [
        "claiming still failing: 61 attempts over 60 s",
        "claiming still failing: 121 attempts over 120 s",
    ]
    assert sum(r.exc_info is not None for r in caplog.records) == 1


def test_successes_say_nothing_and_a_new_outage_is_logged_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    outage = OutageLog(LOGGER, "refresh", clock=clock)
    with caplog.at_level(logging.DEBUG, LOGGER.name):
        outage.succeeded()
        _fail(outage)
        outage.succeeded()
        outage.succeeded()
        _fail(outage)
    levels = [r.levelno for r in caplog.records]
    assert levels == [logging.ERROR, logging.WARNING, logging.ERROR]
    assert outage.failures == 1
