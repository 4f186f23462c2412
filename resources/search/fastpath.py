"""A fast evaluator for the commonest search expression shapes, without the interpreter.

About half the R4 parameters are plain paths ``Type.a.b``, and most of the rest a plain path
with one filter. Walking the JSON directly is some 20 times faster than fhirpathpy's
interpreter; this walker follows fhirpathpy's own member navigation (choice types from the
model, ``_x`` primitive extensions, type names from ``path2Type``), so its results are the same
items with the same types. The shapes (``PathBranch``), each optionally in parentheses:

- ``Type.a.b``, and the bare ``Type`` (the resource itself);
- ``Type.a.b.ofType(T)`` (``as`` once rewritten, ``expressions.lenient_as``);
- ``Type.a.b.where(resolve() is T)`` (a reference to one target type);
- ``Type.a.b.where(c = 'literal')`` (``telecom.where(system='phone')``);
- any of the filtered forms followed by more steps: ``(Type.a.ofType(T)).c``.

``tests/unit/search/test_equivalence.py`` checks every shape against fhirpathpy on the spec's
examples, parameter by parameter. A member step's resolution against the model (a dozen
string operations and lookups) depends only on the parent's path and the step's name, so it
is done once per pair (``member_plan``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

SIMPLE_PATH = re.compile(r"^[A-Z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)+$")
REFERENCE_TAIL = re.compile(r"(?:^|/)([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")
"""The ``Type/id`` at the end of a reference (relative, absolute or versioned)."""

Item = tuple[Any, str]
"""(JSON value, FHIR path or type name as fhirpathpy would give it)"""
Member = tuple[str, str, str]
"""(JSON key, key of its primitive extension ``_key``, the child's path or type name)"""
_PLANS: dict[int, tuple[Mapping[str, Any], dict[tuple[str, str], tuple[Member, ...]]]] = {}


def simple_steps(branch: str) -> tuple[str, ...] | None:
    """``("Patient", "name", "given")`` for ``Patient.name.given``; None if not a plain path."""
    return tuple(branch.split(".")) if SIMPLE_PATH.match(branch) else None


def walk(
    resource: Mapping[str, Any], steps: tuple[str, ...], model: Mapping[str, Any]
) -> list[Item]:
    """The items the path selects from a resource, as fhirpathpy's member navigation does."""
    if resource.get("resourceType") != steps[0]:
        return []
    return walk_from((resource, steps[0]), steps[1:], model)


def walk_from(start: Item, steps: tuple[str, ...], model: Mapping[str, Any]) -> list[Item]:
    """The items the relative path ``steps`` selects from ``start`` (JSON and its path).

    Of a choice element, the first type present in the JSON is taken; a primitive's value and
    its ``_key`` extension are separate items. Written for speed: every write runs it for
    every parameter of the resource's type.
    """
    plans = _plans(model)
    items: list[Item] = [start]
    for key in steps:
        found: list[Item] = []
        for data, path in items:
            if type(data) is not dict and not isinstance(data, Mapping):  # dict: the usual case
                continue
            members = plans.get((path, key)) or member_plan(path, key, model)
            for name, extension_name, child_path in members:
                value, extension = data.get(name), data.get(extension_name)
                if value is not None or extension is not None:
                    _add_items(found, value, child_path)
                    if extension is not None:
                        _add_items(found, extension, child_path)
                    break
        items = found
    return items


def _add_items(found: list[Item], value: object, path: str) -> None:
    if value is None or value == []:
        return
    if isinstance(value, list):
        found.extend((item, path) for item in value)
    else:
        found.append((value, path))


def _plans(model: Mapping[str, Any]) -> dict[tuple[str, str], tuple[Member, ...]]:
    """The resolved member steps of ``model`` so far (``member_plan``)."""
    cached = _PLANS.get(id(model))
    if cached is None or cached[0] is not model:
        cached = _PLANS[id(model)] = (model, {})
    return cached[1]


def member_plan(path: str, key: str, model: Mapping[str, Any]) -> tuple[Member, ...]:
    """How step ``key`` navigates from an item of ``path``: the JSON keys to read (one per
    type of a choice element, in the model's order) and the child's path (cached)."""
    plans = _plans(model)
    plan = plans.get((path, key))
    if plan is None:
        plan = plans[(path, key)] = _member_plan(path, key, model)
    return plan


def _member_plan(path: str, key: str, model: Mapping[str, Any]) -> tuple[Member, ...]:
    child_path = f"{path}.{key}"
    child_path = model["pathsDefinedElsewhere"].get(child_path, child_path)
    path2type = model["path2Type"]
    choices = model["choiceTypePaths"].get(child_path)
    if choices:
        return tuple(
            (
                f"{key}{choice}",
                f"_{key}{choice}",
                path2type.get(f"{child_path}{choice}", f"{child_path}{choice}"),
            )
            for choice in choices
        )
    if key == "extension":
        child_path = "Extension"
    return ((key, f"_{key}", path2type.get(child_path, child_path)),)


def node_path(value: object, path: str) -> Any:
    """The path fhirpathpy gives an item: a resource's own type when it is one (contained
    resources, ``Bundle.entry.resource``), else the path it was reached by."""
    if isinstance(value, Mapping) and "resourceType" in value:
        return value["resourceType"]
    return path


def node_type(path: Any) -> str | None:
    """The FHIR type name of an item of ``node_path`` ``path``; None for a backbone element."""
    return path if path and "." not in path else None


def extension_only(value: object) -> bool:
    """What fhirpathpy leaves out of raw results: a primitive's ``_x`` with only extensions."""
    if type(value) is dict:  # the usual case, without the abstract Mapping check
        return len(value) == 1 and "extension" in value
    return isinstance(value, Mapping) and list(value) == ["extension"]


def resolved_type(item: object, resource: Mapping[str, Any]) -> object | None:
    """The type ``resolve()`` gives a Reference: its target's type from the reference text (a
    contained resource's own for ``#id``), else ``Reference.type``; None if it has none."""
    reference = item.get("reference") if isinstance(item, Mapping) else item
    declared = item.get("type") if isinstance(item, Mapping) else None
    if isinstance(reference, str) and reference.startswith("#"):
        for contained in resource.get("contained", []):
            if isinstance(contained, Mapping) and contained.get("id") == reference[1:]:
                return cast(object, node_path(contained, str(contained.get("resourceType"))))
        return None
    match = REFERENCE_TAIL.search(reference) if isinstance(reference, str) else None
    if match is not None:
        return match.group(1)
    if isinstance(declared, str):
        return declared
    return None


_PATH = r"[A-Z][A-Za-z0-9]*(?:\.[a-z][A-Za-z0-9]*)*"
_FILTER = (
    r"\.(?:ofType\((?P<of_type>[A-Za-z]+)\)"
    r"|where\(resolve\(\) is (?P<resolves_to>[A-Z][A-Za-z]+)\)"
    r"|where\((?P<key>[a-z][A-Za-z0-9]*)\s*=\s*'(?P<literal>[A-Za-z0-9\-.:/]*)'\))"
)
_TAIL = r"(?:\.[a-z][A-Za-z0-9]*)+"
_SHAPES = (
    re.compile(rf"^\(?\s*(?P<path>{_PATH})\s*(?:{_FILTER})?\s*\)?$"),
    re.compile(rf"^\(\s*(?P<path>{_PATH})\s*{_FILTER}\s*\)(?P<tail>{_TAIL})$"),
    re.compile(rf"^(?P<path>{_PATH}){_FILTER}(?P<tail>{_TAIL})$"),
)


@dataclass(frozen=True, slots=True)
class PathBranch:
    """A plain path from the resource, with at most one filter, then perhaps more steps."""

    steps: tuple[str, ...]
    of_type: str | None = None
    resolves_to: str | None = None
    where: tuple[str, str] | None = None
    """(element, string literal) of ``where(element = 'literal')``"""
    tail: tuple[str, ...] = ()
    filtered: bool = False
    """Whether there is a filter (``parse`` sets it): otherwise a plain path."""

    @staticmethod
    def parse(branch: str) -> PathBranch | None:
        """The branch's fast form, or None when it has another shape."""
        if branch.count("(") != branch.count(")"):
            return None
        for shape in _SHAPES:
            match = shape.match(branch)
            if match is not None:
                break
        else:
            return None
        parts = match.groupdict()
        key, literal, tail = parts.get("key"), parts.get("literal"), parts.get("tail")
        fast = PathBranch(
            tuple(parts["path"].split(".")),
            parts.get("of_type"),
            parts.get("resolves_to"),
            (key, literal) if key is not None and literal is not None else None,
            tuple(tail[1:].split(".")) if tail else (),
            any(parts.get(name) for name in ("of_type", "resolves_to", "key")),
        )
        if len(fast.steps) == 1 and branch != fast.steps[0]:
            return None  # the resource itself is fast only as a bare type name
        return fast

    def first_keys(self, model: Mapping[str, Any]) -> frozenset[str] | None:
        """The top-level JSON keys one of which the resource needs for any result; None when
        the branch selects the resource itself."""
        if len(self.steps) < 2:
            return None
        members = member_plan(self.steps[0], self.steps[1], model)
        return frozenset(key for member in members for key in member[:2])

    def items(
        self, data: Mapping[str, Any], resource: Mapping[str, Any], model: Mapping[str, Any]
    ) -> list[Item]:
        """(value, node path) of each result item on the root ``data``, none of them null."""
        found = self.path_items(data, model)
        return self.filter_items(found, resource, model) if self.filtered else found

    def path_items(self, data: Mapping[str, Any], model: Mapping[str, Any]) -> list[Item]:
        """``items`` before the filter: what the plain path ``steps`` selects."""
        if data.get("resourceType") != self.steps[0]:
            return []
        return _results(walk_from((data, self.steps[0]), self.steps[1:], model))

    def filter_items(
        self, found: list[Item], resource: Mapping[str, Any], model: Mapping[str, Any]
    ) -> list[Item]:
        """``items`` from the plain path's: the filter, then the steps after it."""
        found = [(v, path) for v, path in found if self._keeps(v, path, resource, model)]
        if self.tail:
            found = _results([i for item in found for i in walk_from(item, self.tail, model)])
        return found

    def _keeps(
        self, value: object, path: Any, resource: Mapping[str, Any], model: Mapping[str, Any]
    ) -> bool:
        if self.of_type is not None:
            return node_type(path) == self.of_type
        if self.resolves_to is not None:
            return resolved_type(value, resource) == self.resolves_to
        assert self.where is not None
        key, literal = self.where
        children = [v for v, _ in walk_from((value, path), (key,), model) if not extension_only(v)]
        return len(children) == 1 and isinstance(children[0], str) and children[0] == literal


def _results(walked: list[Item]) -> list[Item]:
    """(value, ``node_path``) of walked items, less nulls and what fhirpathpy leaves out
    (``extension_only``). Written for speed: every write runs it for every parameter."""
    found: list[Item] = []
    for value, path in walked:
        if type(value) is dict:  # the usual case, without the abstract Mapping check
            if "resourceType" in value:
                found.append((value, value["resourceType"]))
            elif len(value) != 1 or "extension" not in value:
                found.append((value, path))
        elif type(value) is str:  # the other usual case
            found.append((value, path))
        elif isinstance(value, Mapping):
            if not extension_only(value):
                found.append((value, node_path(value, path)))
        elif value is not None:
            found.append((value, path))
    return found


def unknown_element(steps: tuple[str, ...], model: Mapping[str, Any]) -> str | None:
    """The first step of a plain path that the model does not know (``Patient.nmae``), or None.

    Checking stops at a choice element or a System type, where the model's paths end.
    """
    current = steps[0]
    for key in steps[1:]:
        path = _defined_path(current, key, model)
        if path is None:
            return f"{current}.{key}"
        if path in model["choiceTypePaths"]:
            return None
        current = str(model["path2Type"].get(path, path))
        if current.startswith("System."):
            return None
    return None


def _defined_path(type_name: str, key: str, model: Mapping[str, Any]) -> str | None:
    """``Type.key`` as the model names it, looking through parent types (checks only: slow)."""
    name: str | None = type_name
    while name:
        path = f"{name}.{key}"
        path = str(model["pathsDefinedElsewhere"].get(path, path))
        if path in model["path2Type"] or path in model["choiceTypePaths"]:
            return path
        if any(known.startswith(f"{path}.") for known in model["path2Type"]):
            return path  # a backbone element: it has children but no type of its own
        name = model["type2Parent"].get(name)
    return None
