"""Date search (https://hl7.org/fhir/R4/search.html#date and #prefix): every value is a range
at its precision (a year, a day, a second; a Period from its start to its end), compared with
the search value's range by the prefix table; ``ap`` within 10% of the time to now; time zones;
``_lastUpdated`` on the version's instant."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.integration.conftest import FHIR_HEADERS
from tests.integration.test_search_engine_support import (
    EARLIEST,
    LATEST,
    Batch,
    Resource,
    date_prefix_matches,
    date_range,
)

pytestmark = pytest.mark.integration

EFFECTIVE: list[dict[str, object]] = [
    {"effectiveDateTime": "2013-01-14"},
    {"effectiveDateTime": "2013-01-14T10:00:00Z"},
    {"effectiveDateTime": "2013-01-14T23:30:00-05:00"},  # 2013-01-15T04:30Z
    {"effectiveDateTime": "2013-01"},
    {"effectiveDateTime": "2013"},
    {"effectivePeriod": {"start": "2013-01-10", "end": "2013-01-20"}},
    {"effectivePeriod": {"start": "2013-01-14T09:00:00Z"}},
    {"effectiveInstant": "2012-12-31T23:59:59.500Z"},
    {},
]
SEARCHES = [
    "2013-01-14",
    "2013-01",
    "2013",
    "2013-01-14T10:00:00Z",
    "2013-01-15T04:30:00Z",
    "2013-01-14T10:00:00+01:00",
    "2012-12-31",
]
PREFIXES = ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb"]


def _target(observation: Resource) -> tuple[datetime, datetime] | None:
    if "effectivePeriod" in observation:
        period = observation["effectivePeriod"]
        low = date_range(period["start"])[0] if "start" in period else EARLIEST
        high = date_range(period["end"])[1] if "end" in period else LATEST
        return low, high
    for key in ("effectiveDateTime", "effectiveInstant"):
        if key in observation:
            return date_range(observation[key])
    return None


def _observations(client: httpx.Client) -> Batch:
    batch = Batch(client)
    code = {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]}
    for effective in EFFECTIVE:
        batch.create({"resourceType": "Observation", "status": "final", "code": code, **effective})
    return batch


@pytest.fixture(scope="module")
def observations(base_url: str) -> Iterator[Batch]:
    """One batch for the whole prefix table (read only)."""
    with httpx.Client(base_url=base_url, headers=FHIR_HEADERS, timeout=30) as client:
        yield _observations(client)


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("value", SEARCHES)
def test_prefix_table(observations: Batch, prefix: str, value: str) -> None:
    def keep(o: Resource) -> bool:
        target = _target(o)
        return target is not None and date_prefix_matches(prefix, value, target)

    expected = observations.expect("Observation", keep)
    assert sorted(observations.ids("Observation", [("date", f"{prefix}{value}")])) == expected


def test_no_prefix_is_eq(observations: Batch) -> None:
    assert sorted(observations.ids("Observation", [("date", "2013-01-14")])) == sorted(
        observations.ids("Observation", [("date", "eq2013-01-14")])
    )


def test_a_range_is_two_ands_and_a_list_is_or(observations: Batch) -> None:
    def within(o: Resource) -> bool:
        target = _target(o)
        return (
            target is not None
            and date_prefix_matches("ge", "2013-01-14", target)
            and date_prefix_matches("lt", "2013-01-15", target)
        )

    both = [("date", "ge2013-01-14"), ("date", "lt2013-01-15")]
    assert sorted(observations.ids("Observation", both)) == observations.expect(
        "Observation", within
    )

    def either(o: Resource) -> bool:
        target = _target(o)
        return target is not None and any(
            date_prefix_matches("eq", v, target) for v in ("2013", "2012-12-31")
        )

    listed = [("date", "2013,2012-12-31")]
    assert sorted(observations.ids("Observation", listed)) == observations.expect(
        "Observation", either
    )


def test_approximately_widens_by_a_tenth_of_the_distance_to_now(client: httpx.Client) -> None:
    batch = Batch(client)
    today = datetime.now(UTC).date()
    ages = {"near": 100, "edge": 109, "far": 150}  # days before the searched day
    searched = today - timedelta(days=1000)
    made = {
        name: batch.create(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"text": "weight"},
                "effectiveDateTime": (searched - timedelta(days=days)).isoformat(),
            }
        )["id"]
        for name, days in ages.items()
    }
    # 10% of ~1000 days is ~100 days: 100 days off matches, 150 does not.
    found = set(batch.ids("Observation", [("date", f"ap{searched.isoformat()}")]))
    assert made["near"] in found
    assert made["far"] not in found


def test_missing_date(observations: Batch) -> None:
    expected = observations.expect("Observation", lambda o: _target(o) is None)
    assert sorted(observations.ids("Observation", [("date:missing", "true")])) == expected


def test_last_updated(client: httpx.Client) -> None:
    batch = Batch(client)
    first = batch.create({"resourceType": "Patient"})
    second = batch.create({"resourceType": "Patient"})
    stamp = second["meta"]["lastUpdated"]
    assert batch.ids("Patient", [("_lastUpdated", f"lt{stamp}")]) == [first["id"]]
    assert batch.ids("Patient", [("_lastUpdated", f"ge{stamp}")]) == [second["id"]]
    assert batch.ids("Patient", [("_lastUpdated", f"eq{stamp}")]) == [second["id"]]
    both = sorted([first["id"], second["id"]])
    assert sorted(batch.ids("Patient", [("_lastUpdated", f"le{stamp}")])) == both
    day = stamp[:10]
    assert sorted(batch.ids("Patient", [("_lastUpdated", day)])) in (both, [second["id"]])
