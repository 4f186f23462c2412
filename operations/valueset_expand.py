"""``ValueSet/$expand``: the codes of a value set, filtered and paged.

https://hl7.org/fhir/R4/valueset-operation-expand.html. The value set is the instance, ``url``
(stored or shipped, ``url|version`` allowed) or a ``valueSet`` resource; ``filter`` keeps codes
whose display words start with the filter's words (or whose code starts with it); ``offset``
and ``count`` page the flat expansion; ``activeOnly`` drops inactive codes. An expansion of
more than 10,000 codes needs ``count``.
"""

from __future__ import annotations

import uuid
from typing import Any

from operations.base import OperationContext, OperationResult
from operations.parameters import Parameters
from operations.terminology_support import bad_input, value_set_for
from resources import error_codes
from resources.errors import Unprocessable
from resources.identity import instant, now
from terminology.codesystems.expansions import members
from terminology.codesystems.valuesets import Member, text_filter

MAX_UNPAGED = 10_000
MAX_COUNT = 10_000

DEFINITION: dict[str, Any] = {
    "resourceType": "OperationDefinition",
    "id": "ValueSet-expand",
    "url": "http://hl7.org/fhir/OperationDefinition/ValueSet-expand",
    "name": "Value Set Expansion",
    "status": "active",
    "kind": "operation",
    "code": "expand",
    "resource": ["ValueSet"],
    "system": False,
    "type": True,
    "instance": True,
    "affectsState": False,
    "parameter": [
        {"name": "url", "use": "in", "min": 0, "max": "1", "type": "uri"},
        {"name": "valueSet", "use": "in", "min": 0, "max": "1", "type": "ValueSet"},
        {"name": "valueSetVersion", "use": "in", "min": 0, "max": "1", "type": "string"},
        {"name": "context", "use": "in", "min": 0, "max": "1", "type": "uri"},
        {"name": "contextDirection", "use": "in", "min": 0, "max": "1", "type": "code"},
        {"name": "filter", "use": "in", "min": 0, "max": "1", "type": "string"},
        {"name": "date", "use": "in", "min": 0, "max": "1", "type": "dateTime"},
        {"name": "offset", "use": "in", "min": 0, "max": "1", "type": "integer"},
        {"name": "count", "use": "in", "min": 0, "max": "1", "type": "integer"},
        {"name": "includeDesignations", "use": "in", "min": 0, "max": "1", "type": "boolean"},
        {"name": "includeDefinition", "use": "in", "min": 0, "max": "1", "type": "boolean"},
        {"name": "activeOnly", "use": "in", "min": 0, "max": "1", "type": "boolean"},
        {"name": "excludeNested", "use": "in", "min": 0, "max": "1", "type": "boolean"},
        {"name": "excludeNotForUI", "use": "in", "min": 0, "max": "1", "type": "boolean"},
        {"name": "excludePostCoordinated", "use": "in", "min": 0, "max": "1", "type": "boolean"},
        {"name": "displayLanguage", "use": "in", "min": 0, "max": "1", "type": "code"},
        {"name": "return", "use": "out", "min": 1, "max": "1", "type": "ValueSet"},
    ],
}

_KEPT = ("id", "url", "version", "name", "title", "status", "experimental", "date", "publisher")


def _paging(params: Parameters) -> tuple[int, int | None]:
    offset, count = params.value("offset", 0), params.value("count")
    if not isinstance(offset, int) or offset < 0:
        raise bad_input("offset must be a whole number, 0 or more", "offset")
    if count is not None and (not isinstance(count, int) or count < 0):
        raise bad_input("count must be a whole number, 0 or more", "count")
    return offset, min(count, MAX_COUNT) if count is not None else None


def expansion(
    value_set: dict[str, Any] | Any,
    found: list[Member],
    offset: int,
    count: int | None,
    echoed: list[dict[str, Any]],
) -> dict[str, Any]:
    """The expanded ValueSet: metadata, then the page of ``found`` in ``expansion``."""
    if count is None and len(found) - offset > MAX_UNPAGED:
        raise Unprocessable(
            f"The expansion has {len(found)} codes: page it with count (at most {MAX_COUNT}) "
            "and offset, or narrow it with filter",
            error_codes.EXPANSION_TOO_LARGE,
        )
    page = found[offset : offset + count if count is not None else None]
    result: dict[str, Any] = {"resourceType": "ValueSet"}
    result.update({key: value_set[key] for key in _KEPT if key in value_set})
    result.setdefault("status", "active")
    result["expansion"] = {
        "identifier": f"urn:uuid:{uuid.uuid4()}",
        "timestamp": instant(now()),
        "total": len(found),
        "offset": offset,
        **({"parameter": echoed} if echoed else {}),
        **({"contains": [m.to_contains() for m in page]} if page else {}),
    }
    return result


def _echo(params: Parameters) -> list[dict[str, Any]]:
    echoed = []
    for name in ("filter", "offset", "count", "activeOnly"):
        for entry in params.all(name):
            echoed.append(dict(entry))
    return echoed


async def handle(ctx: OperationContext, params: Parameters) -> OperationResult:
    """Expand the value set the request names."""
    offset, count = _paging(params)
    value_set, sources = await value_set_for(ctx, params)
    found = members(value_set, sources, params.value("activeOnly") is True)
    text = params.value("filter")
    if isinstance(text, str) and text.strip():
        found = text_filter(found, text)
    body = expansion(dict(value_set), found, offset, count, _echo(params))
    return OperationResult(body)
