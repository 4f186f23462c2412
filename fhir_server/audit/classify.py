"""Which audit event an HTTP request makes: the restful interaction and what it names."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from fhir_server.audit.events import masked_query

NOT_AUDITED_FHIR = frozenset({"metadata", ".well-known", "_health"})
AUTH_EVENTS = {
    "/auth/login": "login",
    "/auth/mfa": "login",
    "/auth/token": "token-issue",
    "/auth/emergency-token": "emergency-token",
}


@dataclass(frozen=True)
class Interaction:
    """The interaction a request asked for."""

    subtype: str
    resource_type: str | None = None
    references: tuple[str, ...] = ()
    query: str | None = None
    patient: str | None = None


def _patient_from_query(items: list[tuple[str, str]]) -> str | None:
    for name, value in items:
        if name.split(":")[0] in ("patient", "subject") and value:
            candidate = value.split(",")[0]
            if "/" in candidate and not candidate.startswith("Patient/"):
                continue
            return candidate.rsplit("/", 1)[-1]
    return None


_TYPE_LEVEL = {
    "POST": "create",
    "GET": "search-type",
    "PUT": "update",
    "PATCH": "patch",
    "DELETE": "delete",
}
_INSTANCE_LEVEL = {"GET": "read", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


def _rest(method: str, parts: list[str]) -> tuple[str, str | None, str | None]:
    """(subtype, type, id) of a path below /fhir."""
    n = len(parts)
    if n == 0:
        return ("search-system" if method == "GET" else "batch"), None, None
    if parts[-1].startswith("$"):
        return "operation", (parts[0] if n > 1 else None), (parts[1] if n > 2 else None)
    if parts[0] in ("_history", "_search"):
        return ("history-system" if parts[0] == "_history" else "search-system"), None, None
    type_ = parts[0]
    if n == 1:
        return _TYPE_LEVEL.get(method, "search-type"), type_, None
    if parts[1] in ("_search", "_history"):
        return ("search-type" if parts[1] == "_search" else "history-type"), type_, None
    id_ = parts[1]
    if n == 2:
        return _INSTANCE_LEVEL.get(method, "read"), type_, id_
    if parts[2] == "_history":
        return ("vread" if n > 3 else "history-instance"), type_, id_
    return "search-type", parts[2], None  # a compartment search: Patient/1/Observation


def classify(method: str, path: str, query_string: bytes) -> Interaction | None:
    """The interaction of a request, or None when it touches no health data."""
    if path in AUTH_EVENTS and method == "POST":
        return Interaction(AUTH_EVENTS[path])
    if not (path == "/fhir" or path.startswith("/fhir/")) or method in ("OPTIONS", "HEAD"):
        return None
    parts = [part for part in path[len("/fhir") :].split("/") if part]
    if parts and (parts[0] in NOT_AUDITED_FHIR or (parts[0] == "AuditEvent" and method != "GET")):
        return None
    items = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    subtype, resource_type, id_ = _rest(method, parts)
    references = (f"{resource_type}/{id_}",) if resource_type and id_ else ()
    if subtype == "vread":
        references = (f"{resource_type}/{id_}/_history/{parts[3]}",)
    query = masked_query(items) if items or subtype.startswith("search") else None
    if subtype == "operation":
        query = parts[-1] + ("?" + masked_query(items) if items else "")
    if parts and parts[0] == "Patient" and len(parts) > 1 and parts[1][:1] not in "_$":
        patient: str | None = parts[1]
    else:
        patient = _patient_from_query(items)
    return Interaction(subtype, resource_type, references, query, patient)
