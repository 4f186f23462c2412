"""``Patient/[id]/$everything`` and ``Patient/$everything``: a patient's record as a searchset.

https://hl7.org/fhir/R4/patient-operation-everything.html

The instance level returns the patient, its compartment (the R4 CompartmentDefinition) and the
Medication, Practitioner, Organization and Location resources that those reference. The type
level does the same for every patient the caller may see, one after another in id order, the
Bundle's pages running across patients. Paging, ``_since``, ``_type``, ``start`` and ``end``
are described in ``operations.everything``.
"""

from __future__ import annotations

from typing import Any

from operations.base import OperationContext, OperationResult
from operations.everything import (
    Options,
    Page,
    compartment_page,
    decode_cursor,
    definition_parameters,
    encode_cursor,
    read_options,
    registry_of,
    searchset,
)
from operations.parameters import Parameters
from resources import error_codes
from resources.errors import Invalid
from resources.search.parse import parse_search

DEFINITION: dict[str, Any] = {
    "resourceType": "OperationDefinition",
    "id": "Patient-everything",
    "url": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
    "name": "PatientEverything",
    "status": "active",
    "kind": "operation",
    "code": "everything",
    "resource": ["Patient"],
    "system": False,
    "type": True,
    "instance": True,
    "affectsState": False,
    "parameter": definition_parameters("Patient/$everything"),
}

REFERENCED = ("Location", "Medication", "Organization", "Practitioner")
"""Types outside the patient compartment returned when the compartment references them."""
PATIENTS_PER_PAGE = 100
"""At most this many patients are visited for one page of the type-level operation."""


async def handle(ctx: OperationContext, params: Parameters) -> OperationResult:
    """One page of the patient's (or every visible patient's) record."""
    opts = read_options(params)
    if ctx.id is not None:
        owner = ("Patient", ctx.id)
        page = Page()
        inner = None if opts.cursor is None else _inner(decode_cursor(opts.cursor))
        after = await compartment_page(ctx, owner, REFERENCED, opts, inner, page)
        cursor = None if after is None else encode_cursor([after])
        path = f"Patient/{ctx.id}/$everything"
    else:
        page, cursor = await _every_patient(ctx, opts)
        path = "Patient/$everything"
    return OperationResult(searchset(ctx.base_url, path, opts, page.entries, cursor))


def _inner(state: list[Any]) -> str:
    if len(state) != 1 or not isinstance(state[0], str):
        raise Invalid("The paging cursor is not valid", error_codes.EVERYTHING_BAD_CURSOR)
    return state[0]


async def _next_patient(ctx: OperationContext, after: str | None) -> tuple[str | None, str | None]:
    """The id of the next patient the caller may see, and the cursor of the one after it."""
    query = parse_search(("Patient",), [("_count", "1")], registry_of(ctx))
    found = await ctx.store.search(query, after, ctx.base_url)
    if not found.matches:
        return None, None
    return found.matches[0].id, found.next_cursor


def _state(opts: Options) -> tuple[str | None, str | None, str | None] | None:
    if opts.cursor is None:
        return None
    state = decode_cursor(opts.cursor)
    if len(state) != 3 or not all(item is None or isinstance(item, str) for item in state):
        raise Invalid("The paging cursor is not valid", error_codes.EVERYTHING_BAD_CURSOR)
    return state[0], state[1], state[2]


async def _every_patient(ctx: OperationContext, opts: Options) -> tuple[Page, str | None]:
    """Patients in id order; the cursor holds the patient, where its compartment stopped and
    the patient search's cursor for the one after it (None: it is the last)."""
    state = _state(opts)
    if state is None:
        patient, after = await _next_patient(ctx, None)
        inner: str | None = None
    else:
        patient, inner, after = state
    page = Page()
    for _ in range(PATIENTS_PER_PAGE):
        if patient is None:
            return page, None
        inner = await compartment_page(ctx, ("Patient", patient), REFERENCED, opts, inner, page)
        if inner is not None:
            return page, encode_cursor([patient, inner, after])
        if after is None:
            return page, None
        patient, after = await _next_patient(ctx, after)
        if page.matches >= opts.count:
            break
    if patient is None:
        return page, None
    return page, encode_cursor([patient, None, after])
