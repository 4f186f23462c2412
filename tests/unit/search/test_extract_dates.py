"""Date extraction: precision ranges in UTC, Period, Timing; expected ranges written by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from resources.search.dates import parse_date
from resources.search.values import DATE_MAX, DATE_MIN, DateValue
from tests.unit.search.helpers import values_of


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("2016", utc(2016, 1, 1), utc(2017, 1, 1)),
        ("2016-02", utc(2016, 2, 1), utc(2016, 3, 1)),
        ("2016-12", utc(2016, 12, 1), utc(2017, 1, 1)),
        ("2016-02-28", utc(2016, 2, 28), utc(2016, 2, 29)),
        ("2016-02-29", utc(2016, 2, 29), utc(2016, 3, 1)),
        ("2016-03-28T10:15Z", utc(2016, 3, 28, 10, 15), utc(2016, 3, 28, 10, 16)),
        ("2016-03-28T10:15:30Z", utc(2016, 3, 28, 10, 15, 30), utc(2016, 3, 28, 10, 15, 31)),
        (
            "2016-03-28T10:15:30.25Z",
            utc(2016, 3, 28, 10, 15, 30, 250000),
            utc(2016, 3, 28, 10, 15, 30, 260000),
        ),
        (
            "2016-03-28T10:15:30.1234567Z",
            utc(2016, 3, 28, 10, 15, 30, 123456),
            utc(2016, 3, 28, 10, 15, 30, 123457),
        ),
        ("2016-03-28T23:30:00-02:00", utc(2016, 3, 29, 1, 30), utc(2016, 3, 29, 1, 30, 1)),
        ("2016-03-28T01:00:00+05:30", utc(2016, 3, 27, 19, 30), utc(2016, 3, 27, 19, 30, 1)),
        ("2016-03-28T10:15:30", utc(2016, 3, 28, 10, 15, 30), utc(2016, 3, 28, 10, 15, 31)),
        ("9999", utc(9999, 1, 1), DATE_MAX),
    ],
)
def test_precision_ranges(text: str, low: datetime, high: datetime) -> None:
    assert parse_date(text) == DateValue(low, high)


@pytest.mark.parametrize("text", ["2016-13", "2016-02-30", "January 2012", "16-01-01", "daily"])
def test_not_a_date(text: str) -> None:
    assert parse_date(text) is None


def test_values_are_timezone_aware_utc() -> None:
    value = parse_date("2016-03-28T23:30:00-02:00")
    assert value is not None
    assert value.low.utcoffset() is not None
    assert value.low.tzinfo is UTC


def test_birthdate_and_instant() -> None:
    patient = {
        "resourceType": "Patient",
        "birthDate": "1974-12-25",
        "meta": {"lastUpdated": "2020-05-06T07:08:09.123+02:00"},
    }
    assert values_of(patient, "birthdate") == [DateValue(utc(1974, 12, 25), utc(1974, 12, 26))]
    expected = DateValue(utc(2020, 5, 6, 5, 8, 9, 123000), utc(2020, 5, 6, 5, 8, 9, 124000))
    assert values_of(patient, "_lastUpdated") == [expected]


def test_period_with_open_ends() -> None:
    def encounter(period: dict[str, str]) -> dict[str, object]:
        return {"resourceType": "Encounter", "period": period}

    closed = encounter({"start": "2015-01-17T16:00:00Z", "end": "2015-01-17"})
    assert values_of(closed, "date") == [DateValue(utc(2015, 1, 17, 16), utc(2015, 1, 18))]
    assert values_of(encounter({"start": "2015"}), "date") == [DateValue(utc(2015, 1, 1), DATE_MAX)]
    assert values_of(encounter({"end": "2015-02"}), "date") == [
        DateValue(DATE_MIN, utc(2015, 3, 1))
    ]
    assert values_of(encounter({}), "date") == []


def test_choice_of_datetime_or_period() -> None:
    observation = {"resourceType": "Observation", "effectiveDateTime": "2021-06"}
    assert values_of(observation, "date") == [DateValue(utc(2021, 6, 1), utc(2021, 7, 1))]
    as_period = {"resourceType": "Observation", "effectivePeriod": {"start": "2021-06-02"}}
    assert values_of(as_period, "date") == [DateValue(utc(2021, 6, 2), DATE_MAX)]
    as_string = {"resourceType": "Immunization", "occurrenceString": "January 2012"}
    assert values_of(as_string, "date") == []


def test_timing_covers_its_outer_limits() -> None:
    plan = {
        "resourceType": "CarePlan",
        "activity": [
            {
                "detail": {
                    "scheduledTiming": {
                        "event": ["2013-02-01", "2013-01-31T10:00:00Z"],
                        "repeat": {"boundsPeriod": {"start": "2013-01-30", "end": "2013-03-24"}},
                    }
                }
            }
        ],
    }
    assert values_of(plan, "activity-date") == [DateValue(utc(2013, 1, 30), utc(2013, 3, 25))]
    events_only = {
        "resourceType": "CarePlan",
        "activity": [{"detail": {"scheduledTiming": {"event": ["2013-02-01"]}}}],
    }
    assert values_of(events_only, "activity-date") == [DateValue(utc(2013, 2, 1), utc(2013, 2, 2))]
