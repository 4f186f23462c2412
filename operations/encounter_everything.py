"""``Encounter/[id]/$everything``: the encounter, its compartment and what they reference.

https://hl7.org/fhir/R4/encounter-operation-everything.html

The encounter compartment comes from the R4 CompartmentDefinition; the patient, practitioners,
organizations, locations and medications that members reference are included. Paging,
``_since``, ``_type``, ``start`` and ``end`` are described in ``operations.everything``.
"""

from __future__ import annotations

from typing import Any

from operations.base import OperationContext, OperationResult
from operations.everything import (
    Page,
    compartment_page,
    decode_cursor,
    definition_parameters,
    encode_cursor,
    read_options,
    searchset,
)
from operations.parameters import Parameters
from resources import error_codes
from resources.errors import Invalid

DEFINITION: dict[str, Any] = {
    "resourceType": "OperationDefinition",
    "id": "Encounter-everything",
    "url": "http://hl7.org/fhir/OperationDefinition/Encounter-everything",
    "name": "EncounterEverything",
    "status": "active",
    "kind": "operation",
    "code": "everything",
    "resource": ["Encounter"],
    "system": False,
    "type": False,
    "instance": True,
    "affectsState": False,
    "parameter": definition_parameters("Encounter/$everything"),
}

REFERENCED = ("Location", "Medication", "Organization", "Patient", "Practitioner")
"""Types outside the encounter compartment returned when the compartment references them."""


async def handle(ctx: OperationContext, params: Parameters) -> OperationResult:
    """One page of the encounter's record."""
    opts = read_options(params)
    _, id_ = ctx.instance()
    inner = None
    if opts.cursor is not None:
        state = decode_cursor(opts.cursor)
        if len(state) != 1 or not isinstance(state[0], str):
            raise Invalid("The paging cursor is not valid", error_codes.EVERYTHING_BAD_CURSOR)
        inner = state[0]
    page = Page()
    after = await compartment_page(ctx, ("Encounter", id_), REFERENCED, opts, inner, page)
    cursor = None if after is None else encode_cursor([after])
    path = f"Encounter/{id_}/$everything"
    return OperationResult(searchset(ctx.base_url, path, opts, page.entries, cursor))
