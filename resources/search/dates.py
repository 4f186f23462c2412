"""Date index values: the UTC instants a date, dateTime, instant, Period or Timing covers.

Each value becomes a half-open range from its precision: ``2016`` is the whole year,
``2016-03`` the month, ``2016-03-28`` the day, ``2016-03-28T10:15Z`` the minute,
``...T10:15:30Z`` the second and ``...T10:15:30.250Z`` the millisecond. A date or time written
without a time zone is taken as UTC (FHIR leaves its zone unknown; a server must pick one).
A Period runs from its start's low to its end's high, a missing end being open (DATE_MIN or
DATE_MAX). A Timing covers its outer limits: every event and its repeat.boundsPeriod.
Text that is not a valid FHIR date gives no value.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from resources.search.fhirpath import Json, Node
from resources.search.values import DATE_MAX, DATE_MIN, DateValue

_DATE = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


def date_values(node: Node, _resource: Json) -> list[DateValue]:
    """The date range of one item (a primitive, Period or Timing)."""
    value = node.value
    if isinstance(value, str):
        parsed = parse_date(value)
        return [parsed] if parsed else []
    if not isinstance(value, Mapping):
        return []
    if node.type == "Timing" or "event" in value or "repeat" in value:
        timing = _timing(value)
        return [timing] if timing else []
    period = _period(value)
    return [period] if period else []


def parse_date(text: str) -> DateValue | None:
    """The range a FHIR date, dateTime or instant covers, or None if it is not one."""
    match = _DATE.match(text.strip())
    if match is None:
        return None
    try:
        return _range(match.groupdict())
    except (ValueError, OverflowError):
        return None


def _range(parts: dict[str, str | None]) -> DateValue:
    year = int(parts["year"] or 0)
    month, day = int(parts["month"] or 1), int(parts["day"] or 1)
    if parts["month"] is None:
        low = datetime(year, 1, 1, tzinfo=UTC)
        return DateValue(low, _shift(low, years=1))
    if parts["day"] is None:
        low = datetime(year, month, 1, tzinfo=UTC)
        return DateValue(low, _shift(low, months=1))
    if parts["hour"] is None:
        low = datetime(year, month, day, tzinfo=UTC)
        return DateValue(low, _add(low, _DAY))
    zone = _zone(parts["zone"])
    hour, minute = int(parts["hour"] or 0), int(parts["minute"] or 0)
    if parts["second"] is None:
        low = datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(UTC)
        return DateValue(low, _add(low, _MINUTE))
    fraction = (parts["fraction"] or "")[:6]
    micro = int(fraction.ljust(6, "0")) if fraction else 0
    second = int(parts["second"] or 0)
    low = datetime(year, month, day, hour, minute, second, micro, tzinfo=zone).astimezone(UTC)
    return DateValue(low, _add(low, _STEPS[len(fraction)]))


_DAY, _MINUTE = timedelta(days=1), timedelta(minutes=1)
_STEPS = [timedelta(microseconds=10 ** (6 - digits)) if digits else timedelta(seconds=1)
          for digits in range(7)]  # fmt: skip
"""The precision of a time with 0 to 6 fraction digits (0: to the second)."""


@functools.lru_cache(maxsize=64)
def _zone(text: str | None) -> timezone:
    """The zone of an offset (a handful of distinct ones: cached)."""
    if text is None or text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _shift(low: datetime, years: int = 0, months: int = 0) -> datetime:
    total = low.year * 12 + (low.month - 1) + years * 12 + months
    if total // 12 > DATE_MAX.year:
        return DATE_MAX
    return low.replace(year=total // 12, month=total % 12 + 1)


def _add(low: datetime, step: timedelta) -> datetime:
    if low.year < DATE_MAX.year:  # a year or more from the end, and a step is a day at most
        return low + step
    return low + step if DATE_MAX - low > step else DATE_MAX


def _period(value: Mapping[str, Any]) -> DateValue | None:
    start, end = value.get("start"), value.get("end")
    low = parse_date(start) if isinstance(start, str) else None
    high = parse_date(end) if isinstance(end, str) else None
    if low is None and high is None:
        return None
    return DateValue(low.low if low else DATE_MIN, high.high if high else DATE_MAX)


def _timing(value: Mapping[str, Any]) -> DateValue | None:
    events = value.get("event")
    ranges = (
        [parse_date(e) for e in events if isinstance(e, str)] if isinstance(events, list) else []
    )
    repeat = value.get("repeat")
    bounds = repeat.get("boundsPeriod") if isinstance(repeat, Mapping) else None
    if isinstance(bounds, Mapping):
        ranges.append(_period(bounds))
    found = [r for r in ranges if r is not None]
    if not found:
        return None
    return DateValue(min(r.low for r in found), max(r.high for r in found))
