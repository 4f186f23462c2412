"""The FHIR model facade: the only module that imports the model library (fhir.resources).

R4 resources are validated with the library's R4B models (identical to R4 for the types we
serve); NutritionIntake with its R5 model. The library's pydantic models coerce JSON values
(``"true"`` into ``true``, ``1`` into ``"1"``) and do not check required-binding codes, so a
strict walk over the raw JSON runs first and reports wrong JSON types and codes outside a
required value set; the models then catch unknown elements, cardinality and formats.

Building the models costs about ten times the walk (1.7-2.6 ms for a Synthea
ExplanationOfBenefit), most of it the library's per-element Python validators. So the walk
also checks, from the models' own definitions, what the models would: each value with the
library's validator of its primitive type, required elements, one value per choice
(``value[x]``) and no unknown element. When every element of a resource was one the walk
checks in full and all held, the models would accept it, and they are not built. Anything
else (an unknown or ``_primitive`` element, a resource inside an R5 one, a null in a list, a
value the primitive validator refuses, a missing required element) goes to the models,
which give the answer and its messages as before.

The R4 models cannot hold an R5 resource (a NutritionIntake contained, or in a document
Bundle's entry): such a resource is checked on its own, with its R5 model, and the R4
models check the rest, with a ``Basic`` in its place.
"""

from __future__ import annotations

import decimal
import types
import typing
import uuid
from dataclasses import dataclass, replace
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
    primitive: pydantic.TypeAdapter[Any] | None = None
    """The library's validator of one value of a primitive element."""


@dataclass(frozen=True)
class _Cardinality:
    """What a model requires of an element's keys, as JSON names."""

    required: tuple[str, ...]
    choices: tuple[tuple[tuple[str, ...], bool], ...]
    """Each ``name[x]`` group's names, and whether one of them is required."""

    def hold(self, data: dict[str, Any]) -> bool:
        """Every required element is there, and no more than one value (one where required)
        of each choice."""
        for name in self.required:
            if name not in data:
                return False
        for names, needed in self.choices:
            present = sum(name in data for name in names)
            if present > 1 or (needed and not present):
                return False
        return True


def is_served_type(name: str) -> bool:
    """True when ``name`` is a resource type this server stores."""
    return name in SERVED_TYPES


@cache
def _model_class(resource_type: str) -> type[pydantic.BaseModel]:
    if resource_type in R5_TYPES:
        return typing.cast(type[pydantic.BaseModel], r5_model_class(resource_type))
    return typing.cast(type[pydantic.BaseModel], r4_model_class(resource_type))


def _unwrap(annotation: Any, *, keep_annotated: bool = False) -> tuple[Any, bool]:
    """Strip Optional (and Annotated unless kept) and report whether the element repeats."""
    is_list = False
    while True:
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0]
        elif origin is typing.Annotated and not keep_annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (list, typing.List):  # noqa: UP006 - the library uses typing.List
            is_list = True
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation, is_list


@cache
def _primitive_validator(annotation: Any) -> pydantic.TypeAdapter[Any]:
    return pydantic.TypeAdapter(annotation)


_ACCEPTED: set[tuple[pydantic.TypeAdapter[Any], type, Any]] = set()
"""Values each primitive validator accepted, with their Python type (``1``, ``1.0`` and
``True`` are equal keys otherwise): codes, systems, units and references repeat from resource
to resource, and nine checks in ten of the first 16 Synthea Bundles' resources are of a value
checked before. Strings longer than ``_ACCEPTED_LENGTH`` (narratives, attachments) are not
kept; the set is emptied when it holds ``_ACCEPTED_MAX``."""
_ACCEPTED_LENGTH = 256
_ACCEPTED_MAX = 65_536


def _field_spec(field: pydantic.fields.FieldInfo) -> _FieldSpec:
    base, is_list = _unwrap(field.annotation)
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    enum_values = tuple(typing.cast(list[str], extra.get("enum_values") or ()))
    if enum_values and enum_values[-1] == "+":  # the library cut a long list short
        enum_values = ()
    if "mime" in enum_values:  # "xml | json | ttl | mime": any MIME type is allowed
        enum_values = ()
    if base in _PRIMITIVE_KINDS:
        # The fields carry no constraints of their own: the item type is the whole check.
        item, _ = _unwrap(field.annotation, keep_annotated=True)
        validator = _primitive_validator(item) if not field.metadata else None
        return _FieldSpec(_PRIMITIVE_KINDS[base], is_list, enum_values, None, validator)
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


def _json_name(model: type[pydantic.BaseModel], name: str) -> str:
    field = model.model_fields.get(name)
    return (field.alias or name) if field is not None else name


@cache
def _cardinality(model: type[pydantic.BaseModel]) -> _Cardinality | None:
    """The model's required elements and choice groups (its ``get_required_fields`` and
    ``get_one_of_many_fields``, and the fields pydantic requires); None when it has none."""
    blank = typing.cast(Any, model).model_construct()
    required = {_json_name(model, n) for n, f in model.model_fields.items() if f.is_required()}
    required.update(_json_name(model, name) for name, _ in blank.get_required_fields())
    choices = []
    for names in blank.get_one_of_many_fields().values():
        extra = model.model_fields[names[0]].json_schema_extra
        needed = isinstance(extra, dict) and extra.get("one_of_many_required") is True
        choices.append((tuple(_json_name(model, name) for name in names), needed))
    if not required and not choices:
        return None
    return _Cardinality(tuple(sorted(required)), tuple(choices))


def _where(path: str, key: str, index: int | None) -> str:
    return f"{path}.{key}" if index is None else f"{path}.{key}[{index}]"


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
    """Collects JSON type and required-binding issues for one resource.

    ``complete`` stays true while every element met is one the walk checks as the models
    would (see the module's note); the models are then not needed.
    """

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.complete = True
        self.r5 = False
        self.holds_r5 = False

    def resource(self, data: dict[str, Any], path: str) -> None:
        resource_type = data.get("resourceType")
        if not isinstance(resource_type, str) or not is_served_type(resource_type):
            self._add(path, f"Unknown or missing resourceType {resource_type!r}", "value")
            return
        if not path:
            self.r5 = resource_type in R5_TYPES
        elif resource_type in R5_TYPES and not self.r5:
            # The R4 models have no R5 type: it is checked on its own, and the R4 models
            # (when needed) get a stand-in in its place (``_r5_as_basic``).
            self.holds_r5 = True
            self.issues.extend(_rerooted(validation_issues(data), resource_type, path))
            return
        elif self.r5:
            # Inside an R5 resource the library takes its R5 models: the R4B model walked
            # here would not be the one used.
            self.complete = False
        self.element(_model_class(resource_type), data, path or resource_type)

    def element(self, model: type[pydantic.BaseModel], data: dict[str, Any], path: str) -> None:
        specs = _specs(model)
        for key, value in data.items():
            spec = specs.get(key)
            if key == "resourceType":
                # The model drops it when it names the model's own type.
                if value != getattr(model, "__resource_type__", None) or spec is not None:
                    self.complete = False
            elif spec is None or key[0] == "_":
                self.complete = False  # unknown, or a primitive's extension: the model says
            else:
                self._value(spec, value, path, key)
        if self.complete and (rules := _cardinality(model)) is not None:
            self.complete = rules.hold(data)

    def _value(self, spec: _FieldSpec, value: Any, path: str, key: str) -> None:
        # FHIR JSON has no nulls, empty arrays, objects or strings outside primitive arrays.
        if value is None or value == [] or value == {} or value == "":
            self._add(
                f"{path}.{key}",
                f"Empty values are not allowed in FHIR JSON ({value!r})",
                "structure",
            )
        elif spec.is_list:
            if not isinstance(value, list):
                self._add(f"{path}.{key}", "Expected a JSON array", "structure")
                return
            for index, item in enumerate(value):
                self._item(spec, item, path, key, index)
        else:
            self._item(spec, value, path, key, None)

    def _item(self, spec: _FieldSpec, value: Any, path: str, key: str, index: int | None) -> None:
        """One value of ``path.key`` (``[index]`` of it when the element repeats); the
        path's text is built only where it is needed."""
        if value is None and spec.kind != "object":
            self.complete = False
            return  # null keeps positions in primitive arrays that have extensions
        if value == {} or value == "":
            self._add(
                _where(path, key, index),
                f"Empty values are not allowed in FHIR JSON ({value!r})",
                "structure",
            )
            return
        if not _json_kind_ok(spec.kind, value):
            message = f"Expected a JSON {spec.kind}, got {type(value).__name__}"
            self._add(_where(path, key, index), message, "value")
        elif isinstance(value, str) and "\x00" in value:  # NUL cannot be stored or indexed
            self._add(
                _where(path, key, index), "Strings may not contain the NUL character", "value"
            )
        elif spec.enum_values and value not in spec.enum_values:
            allowed = ", ".join(spec.enum_values)
            message = f"Code {value!r} is not in the required value set ({allowed})"
            self._add(_where(path, key, index), message, "code-invalid")
        elif spec.kind == "resource":
            self.resource(value, _where(path, key, index))
        elif spec.model is not None:
            self.element(spec.model, value, _where(path, key, index))
        elif self.complete:
            self._check_primitive(spec, value)

    def _check_primitive(self, spec: _FieldSpec, value: Any) -> None:
        if spec.primitive is None:
            self.complete = False
            return
        key = (spec.primitive, type(value), value)
        if key in _ACCEPTED:
            return
        try:
            spec.primitive.validate_python(value)
        except (pydantic.ValidationError, ValueError, TypeError):
            self.complete = False
            return
        if not isinstance(value, str) or len(value) <= _ACCEPTED_LENGTH:
            if len(_ACCEPTED) >= _ACCEPTED_MAX:
                _ACCEPTED.clear()
            _ACCEPTED.add(key)

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
    if walker.complete:
        return []
    return _model_issues(resource_type, _r5_as_basic(data) if walker.holds_r5 else data)


def _r5_as_basic(value: Any) -> Any:
    """A copy of JSON ``value`` in which each R5 resource it holds (a contained one, a Bundle
    entry's) is an R4 ``Basic`` standing in for it, at the same place: for the R4 models,
    which have no R5 type; the R5 resources are checked on their own."""
    if isinstance(value, dict):
        if value.get("resourceType") in R5_TYPES:
            return {"resourceType": "Basic", "code": {"text": value["resourceType"]}}
        return {key: _r5_as_basic(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_r5_as_basic(item) for item in value]
    return value


def _rerooted(issues: list[Issue], resource_type: str, path: str) -> list[Issue]:
    """Issues of a resource checked on its own, at ``path`` where it is held."""
    return [
        replace(
            issue,
            diagnostics=path + issue.diagnostics.removeprefix(resource_type),
            expression=tuple(path + e.removeprefix(resource_type) for e in issue.expression),
        )
        for issue in issues
    ]


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


def choice_groups(resource_type: str) -> tuple[tuple[str, ...], ...]:
    """The JSON names of each of the type's top-level choice elements (``deceasedBoolean``,
    ``deceasedDateTime``, ...), of which a resource holds one value at most."""
    rules = _cardinality(_model_class(resource_type))
    return tuple(names for names, _ in rules.choices) if rules is not None else ()
