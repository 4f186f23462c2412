"""Operation parameters: read from a ``Parameters`` body or a query string, checked against
the operation's definition (names, cardinality, GET only with primitive values).

https://hl7.org/fhir/R4/operations.html#request
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from resources import error_codes
from resources.errors import Invalid

_CONTROL = frozenset({"_format", "_pretty", "_summary", "_elements"})
"""Query parameters the HTTP layer answers for every interaction."""

_PRIMITIVES = frozenset(
    {
        "base64Binary", "boolean", "canonical", "code", "date", "dateTime", "decimal", "id",
        "instant", "integer", "markdown", "oid", "positiveInt", "string", "time",
        "unsignedInt", "uri", "url", "uuid",
    }
)  # fmt: skip


def _value(parameter: Mapping[str, Any]) -> Any:
    for key, value in parameter.items():
        if key.startswith("value") or key == "resource":
            return value
    return None


@dataclass(frozen=True)
class Parameters:
    """The parameters of one invocation, in request order."""

    entries: tuple[dict[str, Any], ...] = ()

    def all(self, name: str) -> list[dict[str, Any]]:
        """Every entry called ``name``."""
        return [entry for entry in self.entries if entry.get("name") == name]

    def values(self, name: str) -> list[Any]:
        """The ``value[x]`` (or ``resource``) of every entry called ``name``."""
        return [_value(entry) for entry in self.all(name)]

    def value(self, name: str, default: Any = None) -> Any:
        """The value of the single entry called ``name``, else ``default``."""
        values = self.values(name)
        return values[0] if values else default

    def has(self, name: str) -> bool:
        """True when at least one entry is called ``name``."""
        return any(entry.get("name") == name for entry in self.entries)


def _in_parameters(definition: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {p["name"]: p for p in definition.get("parameter", []) if p.get("use") == "in"}


def _bad(message: str, name: str) -> Invalid:
    return Invalid(message, error_codes.BAD_OPERATION_PARAMETER, (f"Parameters.parameter.{name}",))


def check(definition: Mapping[str, Any], parameters: Parameters) -> Parameters:
    """Refuse unknown names and cardinality outside the definition's ``min``/``max``."""
    declared = _in_parameters(definition)
    code = definition["code"]
    for entry in parameters.entries:
        name = entry.get("name")
        if not isinstance(name, str) or name not in declared:
            raise _bad(f"${code} has no input parameter {name!r}", str(name))
    for name, spec in declared.items():
        count = len(parameters.all(name))
        if count < int(spec.get("min", 0)):
            raise _bad(f"${code} requires the parameter {name!r}", name)
        maximum = spec.get("max", "*")
        if maximum != "*" and count > int(maximum):
            raise _bad(f"${code} takes {name!r} at most {maximum} time(s)", name)
    return parameters


def _typed(spec: Mapping[str, Any] | None, name: str, raw: str) -> dict[str, Any]:
    kind = str(spec.get("type", "string")) if spec else "string"
    if spec is not None and kind not in _PRIMITIVES:
        raise _bad(f"{name!r} is of type {kind}: send it in a Parameters body with POST", name)
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise _bad(f"{name!r} must be true or false, not {raw!r}", name)
        return {"name": name, "valueBoolean": raw == "true"}
    if kind in ("integer", "positiveInt", "unsignedInt"):
        if not raw.lstrip("-").isdigit():
            raise _bad(f"{name!r} must be an integer, not {raw!r}", name)
        return {"name": name, f"value{kind[0].upper()}{kind[1:]}": int(raw)}
    return {"name": name, f"value{kind[0].upper()}{kind[1:]}": raw}


def from_query(definition: Mapping[str, Any], query: Iterable[tuple[str, str]]) -> Parameters:
    """Parameters from a query string, typed from the definition (control parameters left out)."""
    declared = _in_parameters(definition)
    entries = [
        _typed(declared.get(name), name, raw)
        for name, raw in query
        if name not in _CONTROL or name in declared  # an operation may take _elements itself
    ]
    return Parameters(tuple(entries))


def from_body(
    definition: Mapping[str, Any], body: Mapping[str, Any], query: Parameters
) -> Parameters:
    """Parameters from a POSTed resource: a ``Parameters``, or the one resource a definition
    with a single resource-typed input takes as the whole body; query parameters added."""
    if body.get("resourceType") == "Parameters":
        entries = body.get("parameter", [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise _bad("Parameters.parameter must be a list of objects", "parameter")
        return Parameters((*entries, *query.entries))
    resource_inputs = [
        name
        for name, spec in _in_parameters(definition).items()
        if spec.get("type") in ("Resource", body.get("resourceType"))
    ]
    if len(resource_inputs) != 1:
        raise Invalid(
            f"${definition['code']} takes a Parameters resource, not {body.get('resourceType')}",
            error_codes.BAD_OPERATION_PARAMETER,
        )
    return Parameters(({"name": resource_inputs[0], "resource": dict(body)}, *query.entries))
