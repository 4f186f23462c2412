"""Snapshot generation: a profile's full element list from its differential and its base.

https://hl7.org/fhir/R4/profiling.html#snapshot

The base's snapshot is copied, then each differential element is merged into the element with
the same id. An id the copy does not have yet is made first: a new slice copies the sliced
element (and its descendants) under the slice's name, after the existing slices; a path into a
data type (``Observation.code.coding``) expands the children of that type from its own
definition. Constraints are added to the base's, other properties replace the base's.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

Element = dict[str, Any]
Resolver = Callable[[str], Mapping[str, Any] | None]
"""Finds a StructureDefinition (with a snapshot) by canonical URL or base type name."""


class SnapshotError(ValueError):
    """A differential that cannot be applied to its base."""


def _retarget(element: Element, old: str, new: str) -> Element:
    """A copy of ``element`` with its id and path moved from below ``old`` to below ``new``."""
    moved = copy.deepcopy(element)
    moved["id"] = new + element["id"][len(old) :]
    path_new = _path_of(new)
    moved["path"] = path_new + element["path"][len(_path_of(old)) :]
    return moved


def _path_of(element_id: str) -> str:
    return ".".join(part.split(":")[0] for part in element_id.split("."))


def _is_below(candidate: str, ancestor: str) -> bool:
    return candidate.startswith(ancestor + ".") or candidate.startswith(ancestor + ":")


class _Builder:
    def __init__(self, base: Mapping[str, Any], resolve: Resolver) -> None:
        self.elements: list[Element] = copy.deepcopy(list(base["snapshot"]["element"]))
        self.resolve = resolve

    def index(self, element_id: str) -> int | None:
        for position, element in enumerate(self.elements):
            if element["id"] == element_id:
                return position
        return None

    def ensure(self, element_id: str) -> int:
        """The position of ``element_id``, creating it (slice or type expansion) if needed."""
        found = self.index(element_id)
        if found is not None:
            return found
        head, _, last = element_id.rpartition(".")
        if not head:
            raise SnapshotError(f"No element {element_id!r} in the base")
        if ":" in last:
            return self._add_slice(head, last)
        parent = self.ensure(head)
        self._expand(parent)
        found = self.index(element_id)
        if found is None:
            raise SnapshotError(f"No element {element_id!r} in the base or its types")
        return found

    def _add_slice(self, head: str, last: str) -> int:
        name, slice_name = last.split(":", 1)
        if "/" in slice_name:  # re-slicing: the slice of a slice is made from the slice
            name = name + ":" + slice_name.rsplit("/", 1)[0]
        sliced_id = f"{head}.{name}"
        sliced = self.ensure(sliced_id)
        block = [self.elements[sliced]] + [
            e
            for e in self.elements
            if e["id"].startswith(sliced_id + ".") and ":" not in e["id"][len(sliced_id) :]
        ]
        new_id = f"{head}.{last}"
        copies = [_retarget(e, sliced_id, new_id) for e in block]
        copies[0]["sliceName"] = slice_name
        copies[0].pop("slicing", None)
        end = sliced + 1
        while end < len(self.elements) and _is_below(self.elements[end]["id"], sliced_id):
            end += 1
        self.elements[end:end] = copies
        return end

    def _expand(self, position: int) -> None:
        """Insert the children of the element at ``position`` from its type's definition."""
        element = self.elements[position]
        following = self.elements[position + 1 : position + 2]
        if following and following[0]["id"].startswith(element["id"] + "."):
            return  # already has children
        if "contentReference" in element:
            source_id = element["contentReference"].lstrip("#")
            children = [e for e in self.elements if e["id"].startswith(source_id + ".")]
            self.elements[position + 1 : position + 1] = [
                _retarget(e, source_id, element["id"]) for e in children
            ]
            return
        codes = {t["code"] for t in element.get("type", [])}
        if len(codes) != 1:
            raise SnapshotError(f"{element['id']} has several types: restrict it to one first")
        (code,) = codes
        definition = self.resolve(_type_profile(element) or code)
        if definition is None:
            raise SnapshotError(f"No definition of the type {code!r}")
        type_elements = definition["snapshot"]["element"]
        root = type_elements[0]["id"]
        self.elements[position + 1 : position + 1] = [
            _retarget(e, root, element["id"]) for e in type_elements[1:]
        ]

    def merge(self, diff: Mapping[str, Any]) -> None:
        position = self.ensure(str(diff["id"]))
        target = self.elements[position]
        for key, value in diff.items():
            if key in ("id", "path"):
                continue
            if key == "constraint":
                target["constraint"] = [*target.get("constraint", []), *copy.deepcopy(value)]
            else:
                target[key] = copy.deepcopy(value)


def _type_profile(element: Mapping[str, Any]) -> str | None:
    types = element.get("type", [])
    if len(types) == 1 and types[0].get("profile"):
        profile: str = types[0]["profile"][0]
        return profile
    return None


def generate_snapshot(profile: Mapping[str, Any], resolve: Resolver) -> list[Element]:
    """The snapshot elements of ``profile`` (a StructureDefinition with a differential)."""
    base = resolve(str(profile["baseDefinition"]))
    if base is None:
        raise SnapshotError(f"Unknown base definition {profile['baseDefinition']!r}")
    builder = _Builder(base, resolve)
    for diff in profile.get("differential", {}).get("element", []):
        builder.merge(diff)
    return builder.elements


def with_snapshot(profile: Mapping[str, Any], resolve: Resolver) -> dict[str, Any]:
    """A copy of ``profile`` with its generated snapshot."""
    complete = dict(profile)
    complete["snapshot"] = {"element": generate_snapshot(profile, resolve)}
    return complete
