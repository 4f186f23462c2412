"""Loading Bundles and NDJSON into the store, through the same code as ``POST [base]``.

A transaction Bundle is one database transaction; a batch Bundle runs entry by entry; a
collection Bundle is loaded as a transaction of its resources (PUT to their ids, POST when
they have none; ``urn:uuid`` fullUrls resolved as in a transaction). NDJSON lines are loaded
``batch`` at a time as one transaction of PUTs (POSTs for lines without an id); when a batch
fails, its lines are loaded one by one so that only the bad lines are reported.
Every resource is validated as a create or update is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fhir_server.http.bundle_entries import check_bundle, parse_entries
from fhir_server.http.bundle_routes import run_batch, run_transaction
from fhir_server.http.entry_actions import Context
from resources import error_codes, fhir_json
from resources.errors import FhirError, Invalid
from resources.ports import ResourceStore
from resources.search.registry import SearchRegistry

MAX_ENTRIES = 1_000_000
"""Files are trusted input: no entry limit beyond memory."""


@dataclass(frozen=True)
class LineError:
    """A line (or Bundle entry) that could not be loaded, with its OperationOutcome."""

    line: int
    message: str
    outcome: dict[str, Any]


@dataclass
class Loaded:
    """What one call loaded, and what it could not."""

    resources: int = 0
    errors: list[LineError] = field(default_factory=list)


def _as_transaction(bundle: dict[str, Any]) -> dict[str, Any]:
    entries = []
    for item in bundle.get("entry", []):
        resource = item.get("resource") if isinstance(item, dict) else None
        if not isinstance(resource, dict):
            continue
        entries.append({**item, "request": _request(resource)})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _request(resource: dict[str, Any]) -> dict[str, str]:
    kind, id_ = resource.get("resourceType"), resource.get("id")
    if isinstance(id_, str) and id_:
        return {"method": "PUT", "url": f"{kind}/{id_}"}
    return {"method": "POST", "url": str(kind)}


def _error(line: int, error: FhirError) -> LineError:
    return LineError(line, error.message, error.outcome())


class Loader:
    """Loads into ``store``; ``base`` is the FHIR base that absolute references name."""

    def __init__(self, store: ResourceStore, registry: SearchRegistry, base: str) -> None:
        self.store = store
        self.registry = registry
        self.base = base

    def _context(self) -> Context:
        return Context(self.registry, self.base, 20, 1000, delete_multiple=False)

    async def bundle(self, bundle: Any) -> Loaded:
        """Load one Bundle (raises ``FhirError`` when a transaction fails as a whole)."""
        if isinstance(bundle, dict) and bundle.get("type") == "collection":
            bundle = _as_transaction(bundle)
        kind, raw = check_bundle(bundle, MAX_ENTRIES)
        entries = parse_entries(raw, self.base)
        if kind == "transaction":
            async with self.store.transaction() as tx:
                await run_transaction(tx, entries, self._context())
            return Loaded(resources=len(entries))
        loaded = Loaded()
        results = await run_batch(self.store, entries, self._context())
        for entry, result in zip(entries, results, strict=True):
            if result.outcome is None:
                loaded.resources += 1
            else:
                issue = result.outcome.get("issue", [{}])[0]
                message = str(issue.get("diagnostics", "failed"))
                loaded.errors.append(LineError(entry.index + 1, message, result.outcome))
        return loaded

    async def lines(self, numbered: list[tuple[int, bytes]]) -> Loaded:
        """Load NDJSON lines (number, text) as one transaction, else one by one."""
        parsed: list[tuple[int, dict[str, Any]]] = []
        loaded = Loaded()
        for number, text in numbered:
            try:
                parsed.append((number, _resource(text)))
            except FhirError as error:
                loaded.errors.append(_error(number, error))
        if not parsed:
            return loaded
        try:
            await self._transaction([resource for _, resource in parsed])
            loaded.resources += len(parsed)
            return loaded
        except FhirError:
            pass  # find the bad lines: each on its own
        for number, resource in parsed:
            try:
                await self._transaction([resource])
                loaded.resources += 1
            except FhirError as error:
                loaded.errors.append(_error(number, error))
        loaded.errors.sort(key=lambda e: e.line)
        return loaded

    async def _transaction(self, resources: list[dict[str, Any]]) -> None:
        bundle = {"entry": [{"resource": r, "request": _request(r)} for r in resources]}
        entries = parse_entries(bundle["entry"], self.base)
        async with self.store.transaction() as tx:
            await run_transaction(tx, entries, self._context())


def _resource(text: bytes) -> dict[str, Any]:
    try:
        value = fhir_json.loads(text)
    except ValueError:
        raise Invalid("The line is not JSON", error_codes.IMPORT_BAD_LINE) from None
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        raise Invalid("The line is not a FHIR resource", error_codes.IMPORT_BAD_LINE)
    return value
