"""Everything the report reads, through the caller's view of the data (``ctx.store``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from operations.base import OperationContext
from operations.everything import registry_of
from resources import error_codes, fhir_json
from resources.errors import Invalid, NotFound
from resources.search.parse import parse_search

PERIODS = {"7_days": 7, "30_days": 30, "90_days": 90}
PAGE = 1000
TYPES = (
    "Condition",
    "AllergyIntolerance",
    "MedicationStatement",
    "MedicationRequest",
    "Observation",
    "DetectedIssue",
)


@dataclass(frozen=True)
class Period:
    """The report's days, both ends included."""

    start: date
    end: date

    @property
    def days(self) -> list[date]:
        """Every day of the period in order."""
        return [self.start + timedelta(n) for n in range((self.end - self.start).days + 1)]


@dataclass
class Record:
    """The patient and the resources of its record the report uses, by type."""

    patient: dict[str, Any]
    by_type: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def of(self, resource_type: str) -> list[dict[str, Any]]:
        """The resources of one type (none: empty)."""
        return self.by_type.get(resource_type, [])


def _date(value: Any, name: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as error:
        message = f"{name} must be a date, not {value!r}"
        raise Invalid(message, error_codes.REPORT_BAD_PARAMETER) from error


def resolve_period(period: str | None, start: Any, end: Any, today: date) -> Period:
    """``start``/``end`` when given, else the last ``period`` days up to ``today``."""
    if start is not None or end is not None:
        first = _date(start, "start") if start is not None else None
        last = _date(end, "end") if end is not None else today
        first = first or last - timedelta(29)
        if first > last:
            raise Invalid("start is after end", error_codes.REPORT_BAD_PARAMETER)
        return Period(first, last)
    name = period or "30_days"
    if name not in PERIODS:
        raise Invalid(
            f"period must be one of {', '.join(PERIODS)}, not {name!r}",
            error_codes.REPORT_BAD_PARAMETER,
        )
    return Period(today - timedelta(PERIODS[name] - 1), today)


async def _search(
    ctx: OperationContext, resource_type: str, query: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    parsed = parse_search((resource_type,), [*query, ("_count", str(PAGE))], registry_of(ctx))
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = await ctx.store.search(parsed, cursor, ctx.base_url)
        found.extend(fhir_json.loads(m.body) for m in page.matches if m.body is not None)
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


async def gather(ctx: OperationContext, patient_id: str, period: Period) -> Record:
    """The patient (``NotFound`` when the caller cannot see it) and its record: intakes of
    the period, and every condition, allergy, medication, observation and detected issue."""
    stored = await ctx.store.read("Patient", patient_id)
    if stored is None or stored.deleted or stored.body is None:
        raise NotFound(f"Patient/{patient_id} is not known", error_codes.REPORT_PATIENT_NOT_FOUND)
    record = Record(fhir_json.loads(stored.body))
    subject = ("patient", f"Patient/{patient_id}")
    window = [
        ("date", f"ge{period.start.isoformat()}"),
        ("date", f"lt{(period.end + timedelta(1)).isoformat()}"),
    ]
    record.by_type["NutritionIntake"] = await _search(ctx, "NutritionIntake", [subject, *window])
    for resource_type in TYPES:
        record.by_type[resource_type] = await _search(ctx, resource_type, [subject])
    return record
