"""FHIRPath Patch: apply a ``Parameters`` resource of ``operation`` parts to a resource's JSON.

https://hl7.org/fhir/R4/fhirpatch.html

fhirpathpy returns values, not the JSON nodes that hold them, so a patch path is resolved
here, for the subset of FHIRPath that patches use (and the spec's test cases exercise): a
type name, then element names, ``[n]`` indexers, ``first()``/``last()`` and ``where(...)``.
The criterion inside ``where`` is evaluated by the FHIRPath engine on each candidate item.
Anything else is a ``PatchError``. Where an element repeats is read from the FHIR model, so
``add`` of an ``identifier`` makes an array.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from resources.model import element_shape
from resources.search.fhirpath import CompiledPath, FhirPathEvaluationError, FhirPathSyntaxError

Container = dict[str, Any] | list[Any]
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INDEX = re.compile(r"\[(\d+)\]")
_TYPES = frozenset({"add", "insert", "delete", "replace", "move"})


class PatchError(ValueError):
    """The patch document is malformed (``invalid``) or cannot be applied (``unprocessable``)."""

    def __init__(self, message: str, *, invalid: bool = False) -> None:
        super().__init__(message)
        self.invalid = invalid


@dataclass(frozen=True)
class Operation:
    """One ``operation`` parameter: its type, path and the parts that type uses."""

    type: str
    path: str
    name: str | None = None
    value: Any = None
    index: int | None = None
    source: int | None = None
    destination: int | None = None


@dataclass(frozen=True)
class _Location:
    """Where an element lives: ``container[key]``, and the element names leading to it."""

    container: Container
    key: str | int
    names: tuple[str, ...]

    @property
    def value(self) -> Any:
        if isinstance(self.container, list):
            return self.container[int(self.key)]
        return self.container[str(self.key)]


def parse_operations(parameters: object) -> list[Operation]:
    """The operations of a FHIRPath Patch ``Parameters`` body, in order."""
    if not isinstance(parameters, dict) or parameters.get("resourceType") != "Parameters":
        raise PatchError("A FHIRPath Patch body is a Parameters resource", invalid=True)
    operations = []
    for parameter in parameters.get("parameter") or []:
        if not isinstance(parameter, dict) or parameter.get("name") != "operation":
            raise PatchError("Every parameter of a FHIRPath Patch is an 'operation'", invalid=True)
        operations.append(_operation(parameter.get("part") or []))
    return operations


def _operation(parts: list[Any]) -> Operation:
    found: dict[str, Any] = {}
    for part in parts:
        name = part.get("name") if isinstance(part, dict) else None
        if name not in ("type", "path", "name", "value", "index", "source", "destination"):
            raise PatchError(f"Unknown operation part {name!r}", invalid=True)
        found[name] = _part_value(part) if name == "value" else _primitive(part)
    kind, path = found.get("type"), found.get("path")
    if kind not in _TYPES or not isinstance(path, str):
        raise PatchError("An operation needs a known 'type' and a 'path'", invalid=True)
    for integer in ("index", "source", "destination"):
        if integer in found and not isinstance(found[integer], int):
            raise PatchError(f"Operation part {integer!r} must be an integer", invalid=True)
    name = found.get("name")
    return Operation(
        kind,
        path,
        name if isinstance(name, str) else None,
        found.get("value"),
        found.get("index"),
        found.get("source"),
        found.get("destination"),
    )


def _primitive(part: dict[str, Any]) -> Any:
    values = [v for k, v in part.items() if k.startswith("value")]
    return values[0] if len(values) == 1 else None


def _part_value(part: dict[str, Any]) -> Any:
    """``value[x]``, or for an anonymous type (a BackboneElement) the object of its parts."""
    if "part" not in part:
        return _primitive(part)
    anonymous: dict[str, list[Any]] = {}
    for child in part["part"]:
        anonymous.setdefault(str(child.get("name")), []).append(_part_value(child))
    return {name: values[0] if len(values) == 1 else values for name, values in anonymous.items()}


def apply_patch(resource: dict[str, Any], operations: Sequence[Operation]) -> dict[str, Any]:
    """A patched copy of ``resource``; the original is left unchanged."""
    patched = copy.deepcopy(resource)
    for operation in operations:
        _APPLY[operation.type](patched, operation)
        _prune(patched)
    return patched


def _add(resource: dict[str, Any], op: Operation) -> None:
    target = _one(resolve(resource, op.path), op.path, "adding")
    if op.name is None or op.value is None or not isinstance(target.value, dict):
        raise PatchError(f"add at {op.path} needs a name, a value and an element to add to")
    names = (*target.names, op.name)
    value = _shaped(resource, names, op.value)
    existing = target.value.get(op.name)
    if isinstance(existing, list):
        existing.append(value)
    elif _repeats(resource, names):
        target.value[op.name] = [value]
    else:
        target.value[op.name] = value


def _insert(resource: dict[str, Any], op: Operation) -> None:
    items, names = _list_at(resource, op.path, create=True)
    if op.index is None or not 0 <= op.index <= len(items) or op.value is None:
        raise PatchError(f"insert at {op.path} needs a value and an index within the list")
    items.insert(op.index, _shaped(resource, names, op.value))


def _delete(resource: dict[str, Any], op: Operation) -> None:
    found = resolve(resource, op.path)
    if not found:
        return  # deleting nothing is not an error (the spec's "delete is idempotent")
    target = _one(found, op.path, "deleting")
    if isinstance(target.container, list):
        del target.container[int(target.key)]
    else:
        target.container.pop(str(target.key))
        target.container.pop(f"_{target.key}", None)


def _replace(resource: dict[str, Any], op: Operation) -> None:
    target = _one(resolve(resource, op.path), op.path, "replacing")
    if op.value is None:
        raise PatchError(f"replace at {op.path} needs a value")
    value = _shaped(resource, target.names, op.value)
    if isinstance(target.container, list):
        target.container[int(target.key)] = value
    else:
        target.container[str(target.key)] = value


def _move(resource: dict[str, Any], op: Operation) -> None:
    items, _names = _list_at(resource, op.path, create=False)
    source, destination = op.source, op.destination
    if source is None or destination is None:
        raise PatchError(f"move at {op.path} needs a source and a destination")
    if not (0 <= source < len(items) and 0 <= destination < len(items)):
        raise PatchError(f"move at {op.path}: index out of range (list of {len(items)})")
    items.insert(destination, items.pop(source))


_APPLY: dict[str, Callable[[dict[str, Any], Operation], None]] = {
    "add": _add,
    "insert": _insert,
    "delete": _delete,
    "replace": _replace,
    "move": _move,
}


def _one(found: list[_Location], path: str, doing: str) -> _Location:
    if not found:
        raise PatchError(f"No content found at {path} when {doing}")
    if len(found) > 1:
        raise PatchError(f"{path} matches {len(found)} elements when {doing}; it must match one")
    return found[0]


def _list_at(
    resource: dict[str, Any], path: str, *, create: bool
) -> tuple[list[Any], tuple[str, ...]]:
    """The list a path names (``Patient.identifier``): resolved up to its last element name."""
    head, _, name = path.rpartition(".")
    if not head or not _NAME.fullmatch(name):
        raise PatchError(f"{path} must end in the name of a repeating element", invalid=True)
    parent = _one(resolve(resource, head), head, "finding a list")
    if not isinstance(parent.value, dict):
        raise PatchError(f"{head} is not an element with children")
    items = parent.value.get(name)
    if items is None and create:
        items = parent.value[name] = []
    if not isinstance(items, list):
        raise PatchError(f"{path} is not a list")
    return items, (*parent.names, name)


def _repeats(resource: dict[str, Any], names: tuple[str, ...]) -> bool:
    shape = element_shape(str(resource.get("resourceType")), names)
    return shape is not None and shape[1]


def _shaped(resource: dict[str, Any], names: tuple[str, ...], value: Any) -> Any:
    """Wrap single children of an anonymous value in arrays where the model says they repeat."""
    if not isinstance(value, dict) or "resourceType" in value:
        return value
    shaped = {}
    for key, child in value.items():
        inner = (*names, key)
        if isinstance(child, list):
            shaped[key] = [_shaped(resource, inner, item) for item in child]
        elif _repeats(resource, inner):
            shaped[key] = [_shaped(resource, inner, child)]
        else:
            shaped[key] = _shaped(resource, inner, child)
    return shaped


def _prune(element: Any) -> bool:
    """Drop empty objects and arrays left behind (FHIR JSON has none); True if ``element`` is
    now empty."""
    if isinstance(element, dict):
        for key in [k for k, v in element.items() if _prune(v)]:
            del element[key]
        return not element
    if isinstance(element, list):
        element[:] = [item for item in element if not _prune(item)]
        return not element
    return False


def resolve(resource: dict[str, Any], path: str) -> list[_Location]:
    """The locations of the elements ``path`` selects in ``resource`` (see the module note)."""
    steps = _split(path.strip())
    if not steps or steps[0] != resource.get("resourceType"):
        raise PatchError(
            f"Path {path!r} must start with {resource.get('resourceType')}", invalid=True
        )
    current: list[_Location] = [_Location([resource], 0, ())]
    for step in steps[1:]:
        current = _step(resource, current, step, path)
    return current


def _split(path: str) -> list[str]:
    """Split at top-level dots, keeping ``[n]`` and ``where(...)`` as their own steps."""
    steps: list[str] = []
    depth, start, quoted = 0, 0, False
    for position, char in enumerate(path):
        if char == "'":
            quoted = not quoted
        elif not quoted and char in "([":
            if depth == 0 and char == "[" and position > start:
                steps.append(path[start:position])
                start = position
            depth += 1
        elif not quoted and char in ")]":
            depth -= 1
        elif not quoted and depth == 0 and char == ".":
            steps.append(path[start:position])
            start = position + 1
    steps.append(path[start:])
    return [step for step in steps if step]


def _step(
    resource: dict[str, Any], current: list[_Location], step: str, path: str
) -> list[_Location]:
    if (index := _INDEX.fullmatch(step)) is not None:
        position = int(index.group(1))
        return [current[position]] if position < len(current) else []
    if step in ("first()", "last()"):
        return current[:1] if step == "first()" else current[-1:]
    if step.startswith("where(") and step.endswith(")"):
        criterion = _criterion(step[len("where(") : -1])
        return [loc for loc in current if _holds(criterion, loc.value, resource)]
    if not _NAME.fullmatch(step):
        raise PatchError(f"{path}: {step!r} is not supported in a patch path", invalid=True)
    found: list[_Location] = []
    for location in current:
        parent = location.value
        child = parent.get(step) if isinstance(parent, dict) else None
        names = (*location.names, step)
        if isinstance(child, list):
            found.extend(_Location(child, n, names) for n in range(len(child)))
        elif child is not None:
            found.append(_Location(parent, step, names))
    return found


def _criterion(expression: str) -> CompiledPath:
    try:
        return CompiledPath(expression, lenient=False, fast=False)
    except FhirPathSyntaxError as error:
        raise PatchError(str(error), invalid=True) from None


def _holds(criterion: CompiledPath, item: Any, resource: dict[str, Any]) -> bool:
    try:
        result = criterion.evaluate(item, resource)
    except FhirPathEvaluationError as error:
        raise PatchError(str(error)) from None
    return [node.value for node in result] == [True]
