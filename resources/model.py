"""The FHIR model facade: the only module that imports the model library (fhir.resources).

R4 resources are validated with the library's R4B models (identical to R4 for the types we
serve); NutritionIntake with its R5 model. The library's pydantic models coerce JSON values
(``"true"`` into ``true``, ``1`` into ``"1"``) and do not check required-binding codes, so a
strict walk over the raw JSON runs first and reports wrong JSON types and codes outside a
required value set; the models then catch unknown elements, cardinality and formats.
"""

from __future__ import annotations

import decimal
import types
import typing
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from typing import Any

import pydantic
from fhir.resources import get_fhir_model_class as r5_model_class
from fhir.resources.R4B import get_fhir_model_class as r4_model_class
from pydantic.networks import AnyUrl

from resources.errors import Issue
from resources.resource_types import R5_TYPES, SERVED_TYPES

_PRIMITIVE_KINDS: dict[type, str] = {
    bool: "boolean",
    int: "integer",
    decimal.Decimal: "decimal",
    float: "decimal",
    str: "string",
    bytes: "string",
    date: "string",
    datetime: "string",
    time: "string",
    AnyUrl: "string",
    uuid.UUID: "string",
}


@dataclass(frozen=True)
class _FieldSpec:
    kind: str  # boolean | integer | decimal | string | object | resource
    is_list: bool
    enum_values: tuple[str, ...]
    model: type[pydantic.BaseModel] | None


def is_served_type(name: str) -> bool:
    """True when ``name`` is a resource type this server stores."""
    return name in SERVED_TYPES


@cache
def _model_class(resource_type: str) -> type[pydantic.BaseModel]:
    if resource_type in R5_TYPES:
        return typing.cast(type[pydantic.BaseModel], r5_model_class(resource_type))
    return typing.cast(type[pydantic.BaseModel], r4_model_class(resource_type))


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """Strip Optional/Annotated and report whether the element repeats."""
    is_list = False
    while True:
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0]
        elif origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (list, typing.List):  # noqa: UP006 - the library uses typing.List
            is_list = True
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation, is_list


def _field_spec(field: pydantic.fields.FieldInfo) -> _FieldSpec:
    base, is_list = _unwrap(field.annotation)
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    enum_values = tuple(typing.cast(list[str], extra.get("enum_values") or ()))
    if enum_values and enum_values[-1] == "+":  # the library cut a long list short
        enum_values = ()
    if "mime" in enum_values:  # "xml | json | ttl | mime": any MIME type is allowed
        enum_values = ()
    if base in _PRIMITIVE_KINDS:
        return _FieldSpec(_PRIMITIVE_KINDS[base], is_list, enum_values, None)
    model = typing.cast(type[pydantic.BaseModel], base.get_model_klass())
    kind = "resource" if model.__name__ in ("Resource", "DomainResource") else "object"
    return _FieldSpec(kind, is_list, enum_values, model)


@cache
def _specs(model: type[pydantic.BaseModel]) -> dict[str, _FieldSpec]:
    return {
        (field.alias or name): _field_spec(field)
        for name, field in model.model_fields.items()
        if name != "fhir_comments"
    }


def _json_kind_ok(kind: str, value: Any) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "decimal":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    return isinstance(value, dict)


class _StrictWalker:
    """Collects JSON type and required-binding issues for one resource."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def resource(self, data: dict[str, Any], path: str) -> None:
        resource_type = data.get("resourceType")
        if not isinstance(resource_type, str) or not is_served_type(resource_type):
            self._add(path, f"Unknown or missing resourceType {resource_type!r}", "value")
            return
        self.element(_model_class(resource_type), data, path or resource_type)

    def element(self, model: type[pydantic.BaseModel], data: dict[str, Any], path: str) -> None:
        specs = _specs(model)
        for key, value in data.items():
            spec = specs.get(key)
            if spec is not None and key != "resourceType":
                self._value(spec, value, f"{path}.{key}")

    def _value(self, spec: _FieldSpec, value: Any, path: str) -> None:
        # FHIR JSON has no nulls, empty arrays, objects or strings outside primitive arrays.
        if value is None or value == [] or value == {} or value == "":
            self._add(path, f"Empty values are not allowed in FHIR JSON ({value!r})", "structure")
        elif spec.is_list:
            if not isinstance(value, list):
                self._add(path, "Expected a JSON array", "structure")
                return
            for index, item in enumerate(value):
                self._item(spec, item, f"{path}[{index}]")
        else:
            self._item(spec, value, path)

    def _item(self, spec: _FieldSpec, value: Any, path: str) -> None:
        if value is None and spec.kind != "object":
            return  # null keeps positions in primitive arrays that have extensions
        if value == {} or value == "":
            self._add(path, f"Empty values are not allowed in FHIR JSON ({value!r})", "structure")
            return
        if not _json_kind_ok(spec.kind, value):
            self._add(path, f"Expected a JSON {spec.kind}, got {type(value).__name__}", "value")
        elif isinstance(value, str) and "\x00" in value:  # NUL cannot be stored or indexed
            self._add(path, "Strings may not contain the NUL character", "value")
        elif spec.enum_values and value not in spec.enum_values:
            allowed = ", ".join(spec.enum_values)
            self._add(
                path, f"Code {value!r} is not in the required value set ({allowed})", "code-invalid"
            )
        elif spec.kind == "resource":
            self.resource(value, path)
        elif spec.model is not None:
            self.element(spec.model, value, path)

    def _add(self, path: str, message: str, code: str) -> None:
        self.issues.append(Issue("error", code, f"{path}: {message}", (path,)))


def _pydantic_path(resource_type: str, loc: tuple[int | str, ...]) -> str:
    path = resource_type
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            name = str(part)
            path += "._" + name[: -len("__ext")] if name.endswith("__ext") else f".{name}"
    return path


def _model_issues(resource_type: str, data: dict[str, Any]) -> list[Issue]:
    try:
        _model_class(resource_type).model_validate(data)
    except pydantic.ValidationError as error:
        issues = []
        for detail in error.errors(include_url=False):
            path = _pydantic_path(resource_type, tuple(detail["loc"]))
            message = detail["msg"].removeprefix("Value error, ")
            code = "structure" if detail["type"] == "extra_forbidden" else "value"
            issues.append(Issue("error", code, f"{path}: {message}", (path,)))
        return issues
    except (ValueError, TypeError) as error:  # the library raises these for some shapes
        return [Issue("error", "structure", f"{resource_type}: {error}", (resource_type,))]
    return []


def validation_issues(data: dict[str, Any]) -> list[Issue]:
    """Every problem found in a resource's JSON; an empty list means it is valid."""
    resource_type = data.get("resourceType")
    walker = _StrictWalker()
    walker.resource(data, "")
    if walker.issues or not isinstance(resource_type, str):
        return walker.issues
    return _model_issues(resource_type, data)


def element_shape(resource_type: str, names: typing.Sequence[str]) -> tuple[str, bool] | None:
    """The JSON kind and repetition of the element at ``names`` below ``resource_type``.

    ``("integer", False)`` for ``Patient`` + ``("multipleBirthInteger",)``; None when the
    type or a name is unknown (or the path goes through a contained resource).
    """
    if not is_served_type(resource_type):
        return None
    model: type[pydantic.BaseModel] | None = _model_class(resource_type)
    spec: _FieldSpec | None = None
    for name in names:
        spec = _specs(model).get(name) if model is not None else None
        if spec is None:
            return None
        model = spec.model if spec.kind == "object" else None
    return (spec.kind, spec.is_list) if spec is not None else None
