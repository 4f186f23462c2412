"""US Core profiles reconstructed from the Inferno US Core test kit's metadata.

The published US Core StructureDefinitions are not among our fixtures; Inferno's generated
``metadata.json`` describes each profile it tests (``:profile_url``, ``:mandatory_elements``,
``:must_supports`` with slices and fixed values, required ``:bindings``, ``:references``).
From that we write differential StructureDefinitions on the R4 base types, whose snapshots our
generator makes. They are reconstructions, not US Core: what the metadata does not say (slice
cardinalities, extensible bindings, invariants of the profiles) is not in them.

Rules the metadata needs read into it (each says why):
- Mandatory paths are flattened (no slice names): one that a must-support path inside a slice
  flattens to is made required inside that slice only; a slice is required when a mandatory
  path is inside it and its own flattened path is mandatory (so ``component:FlowRate`` of pulse
  oximetry stays optional while blood pressure's ``component:SystolicBP`` is required).
- A ``type`` slice of a choice element restricts the element to that type; children named under
  a choice element restrict it to the one type that has all of them (``value[x].unit``: Quantity).
- A required binding is kept only when its value set is one we can expand; a reference target
  that is neither a base type nor one of the reconstructed profiles is dropped.
Anything that cannot be placed on the base is listed in ``Reconstruction.skipped``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from profiles_ig.canonical import HL7_SD
from profiles_ig.definitions import Definitions
from profiles_ig.elements import json_suffix

Group = Mapping[str, Any]


@dataclass
class Reconstruction:
    """A differential StructureDefinition and what of the metadata it could not express."""

    profile: dict[str, Any]
    skipped: list[str] = field(default_factory=list)


def read_groups(metadata: Path) -> list[Group]:
    """The profile groups of one ``metadata.json`` of the test kit."""
    document = json.loads(metadata.read_text(encoding="utf-8"))
    groups: list[Group] = document[":groups"]
    return groups


def _flat(element_id: str) -> str:
    return ".".join(part.split(":")[0] for part in element_id.split("."))


def _type_slices(group: Group) -> dict[str, str]:
    """``Observation.value[x]:valueQuantity`` -> its type, for the type slices of the group."""
    slices = group[":must_supports"][":slices"]
    return {
        s[":slice_id"]: s[":discriminator"][":code"]
        for s in slices
        if s[":discriminator"][":type"] == "type"
    }


class _Builder:
    """Collects differential elements (parents before children) checked against the base."""

    def __init__(self, group: Group, definitions: Definitions, known: Mapping[str, str]) -> None:
        self.type = str(group[":resource"])
        self.definitions = definitions
        self.known = known
        self.elements: dict[str, dict[str, Any]] = {}
        self.restricted: dict[str, str] = {}
        self.skipped: list[str] = []
        self.type_slices = _type_slices(group)

    def element_id(self, path: str) -> str:
        """A metadata path as an element id: the type prefixed, type slices folded away."""
        full = path if path.split(".")[0] == self.type else f"{self.type}.{path}"
        for slice_id in self.type_slices:
            full = full.replace(slice_id, slice_id.split(":")[0])
        return full

    def locate(self, element_id: str) -> tuple[str, dict[str, Any]] | None:
        """The canonical id (``value`` read as ``value[x]``) and base element ``element_id``
        stands for, through data types; None when the base has no such element."""
        parts = element_id.split(".")
        elements = self._paths(self.type)
        prefix, element, current = self.type, elements.get(self.type), parts[0]
        for part in parts[1:]:
            name, colon, slice_name = part.partition(":")
            if element is None:
                return None
            step = self._step(elements, prefix, name)
            if step is None:
                types = self._types(current, element)
                if len(types) != 1 or not (elements := self._paths(types[0])):
                    return None
                prefix = types[0]
                step = self._step(elements, prefix, name)
                if step is None:
                    return None
            if step.endswith("[x]") and slice_name == name:
                colon = slice_name = ""  # ``valueQuantity:valueQuantity``: a type, not a slice
            current = f"{current}.{step}{colon}{slice_name}"
            prefix = f"{prefix}.{step}"
            element = elements.get(prefix)
        return (current, element) if element is not None else None

    @staticmethod
    def _step(elements: Mapping[str, Any], prefix: str, name: str) -> str | None:
        """The element name in the base: ``value`` and ``valueQuantity`` are ``value[x]``."""
        stems = [name[:i] for i in range(1, len(name)) if name[i].isupper()]
        candidates = (name, name + "[x]", *(stem + "[x]" for stem in stems))
        return next((c for c in candidates if f"{prefix}.{c}" in elements), None)

    def _types(self, element_id: str, element: Mapping[str, Any]) -> list[str]:
        if element_id in self.restricted:
            return [self.restricted[element_id]]
        return [str(t["code"]) for t in element.get("type", [])]

    def _paths(self, type_: str) -> dict[str, dict[str, Any]]:
        definition = self.definitions.structure(type_)
        if definition is None:
            return {}
        return {e["id"]: e for e in definition["snapshot"]["element"] if ":" not in e["id"]}

    def touch(self, element_id: str) -> dict[str, Any]:
        """The differential element ``element_id``, added after its parent and sliced element."""
        if element_id in self.elements:
            return self.elements[element_id]
        head, _, last = element_id.rpartition(".")
        if head:
            self.touch(head)
            if ":" in last:
                self.touch(f"{head}.{last.split(':')[0]}")
        return self.elements.setdefault(element_id, {"id": element_id, "path": _flat(element_id)})

    def restrict(self, element_id: str, type_: str) -> None:
        """Narrow a choice element to one type (before any child of it is placed)."""
        self.restricted[element_id] = type_
        self.touch(element_id)["type"] = [{"code": type_}]

    def place(self, element_id: str, what: str) -> dict[str, Any] | None:
        """The differential element for ``element_id``, or None (noted) when not in the base."""
        found = self.locate(element_id)
        if found is None:
            self.skipped.append(f"{what} {element_id}: not an element of the base")
            return None
        return self.touch(found[0])


def _restrict_choices(builder: _Builder, ids: list[str]) -> None:
    """Type slices narrow their element; children under a choice narrow it to the one type that
    has all of them."""
    for slice_id, type_ in builder.type_slices.items():
        builder.restrict(builder.element_id(slice_id.split(":")[0]), type_)
    children: dict[str, set[str]] = {}
    for element_id in ids:
        parts = element_id.split(".")
        for depth, part in enumerate(parts[:-1]):
            if part.split(":")[0].endswith("[x]"):
                children.setdefault(".".join(parts[: depth + 1]), set()).add(parts[depth + 1])
    for raw, names in children.items():
        found = builder.locate(raw)
        if found is None or found[0] in builder.restricted:
            continue
        choice, element = found
        fitting = [
            t
            for t in builder._types(choice, element)
            if all(f"{t}.{n}" in builder._paths(t) for n in names)
        ]
        if len(fitting) == 1:
            builder.restrict(choice, fitting[0])


def _must_supports(builder: _Builder, group: Group, mandatory: set[str]) -> set[str]:
    """Mark must-support elements (fixed values included, but not those a slice's pattern
    already states); return the mandatory flattened paths placed inside slices."""
    covered = _pattern_children(builder, group)
    inside_slices: set[str] = set()
    for item in group[":must_supports"][":elements"]:
        if item.get(":uscdi_only"):
            continue  # a USCDI choice, not a constraint of the profile
        target = builder.place(builder.element_id(item[":path"]), "must-support")
        if target is None:
            continue
        element_id = str(target["id"])
        target["mustSupport"] = True
        if ":" in element_id.rpartition(".")[0] and _flat(element_id) in mandatory:
            target["min"] = 1
            inside_slices.add(_flat(element_id))
        if ":fixed_value" in item and element_id not in covered:
            _fix(builder, target, item[":fixed_value"])
    return inside_slices


def _fix(builder: _Builder, target: dict[str, Any], value: Any) -> None:
    """A fixed value; one on ``X.coding.code`` (or ``.system``) is a pattern on the concept X,
    as US Core writes it: a fixed code on every coding would refuse a second coding."""
    element_id = str(target["id"])
    head, _, last = element_id.rpartition(".")
    if head.endswith(".coding") and last in ("code", "system"):
        concept = builder.touch(head.removesuffix(".coding"))
        pattern = concept.setdefault("patternCodeableConcept", {"coding": [{}]})
        pattern["coding"][0][last] = value
        return
    found = builder.locate(element_id)
    types = builder._types(element_id, found[1]) if found else []
    if len(types) == 1:
        target["fixed" + json_suffix(types[0])] = value


def _pattern_children(builder: _Builder, group: Group) -> set[str]:
    """Element ids inside pattern slices whose value the slice's pattern gives."""
    covered: set[str] = set()
    for item in _pattern_slices(group):
        anchor, pattern, _type = _slice_pattern(item[":discriminator"])
        slice_id = builder.element_id(item[":slice_id"])
        tops = [anchor] if anchor else list(pattern)
        for element in group[":must_supports"][":elements"]:
            element_id = builder.element_id(element[":path"])
            rest = element_id[len(slice_id) + 1 :].split(".")[0]
            if element_id.startswith(slice_id + ".") and rest.removesuffix("[x]") in tops:
                covered.add(element_id)
    return covered


def _set_in(pattern: dict[str, Any], steps: list[str], value: Any) -> None:
    """Put ``value`` at ``steps`` in a pattern; ``coding`` (an array) holds one object."""
    head, rest = steps[0], steps[1:]
    if not rest:
        pattern[head] = value
        return
    if head == "coding":
        inner = pattern.setdefault("coding", [{}])[0]
    else:
        inner = pattern.setdefault(head, {})
    _set_in(inner, rest, value)


PATTERN_SLICES = frozenset(
    {"value", "patternCodeableConcept", "patternCoding", "patternIdentifier"}
)
"""Slice kinds written as a pattern; ``type`` slices narrow the choice element instead, and
``requiredBinding`` slices (US Core 6) would need value sets we do not have."""


def _pattern_slices(group: Group) -> list[Mapping[str, Any]]:
    return [
        item
        for item in group[":must_supports"][":slices"]
        if item[":discriminator"][":type"] in PATTERN_SLICES and not item.get(":uscdi_only")
    ]


def _slice_pattern(discriminator: Mapping[str, Any]) -> tuple[str, dict[str, Any], str]:
    """(anchor path below the slice, pattern, pattern type) of a pattern or value slice."""
    kind = discriminator[":type"]
    if kind == "value":
        pattern: dict[str, Any] = {}
        for item in discriminator[":values"]:
            _set_in(pattern, item[":path"].split("."), item[":value"])
        if "coding" in pattern:
            return "", pattern, "CodeableConcept"
        if set(pattern) <= {"code", "system"}:
            return "", pattern, "Coding"
        ((anchor, inner),) = pattern.items()  # a backbone slice: the pattern on one child
        return anchor, inner, "CodeableConcept" if "coding" in inner else "Coding"
    system = discriminator.get(":system")
    if kind == "patternCoding":
        return (
            str(discriminator.get(":path", "")),
            {"system": system, "code": discriminator[":code"]},
            "Coding",
        )
    if kind == "patternIdentifier":
        return str(discriminator.get(":path", "")), {"system": system}, "Identifier"
    coding = {"system": system, "code": discriminator[":code"]}
    return str(discriminator.get(":path", "")), {"coding": [coding]}, "CodeableConcept"


def _slices(builder: _Builder, group: Group) -> None:
    """Slicing by pattern on the sliced elements, a pattern per slice; extension slices."""
    for item in group[":must_supports"][":slices"]:
        if item not in _pattern_slices(group) and item[":discriminator"][":type"] != "type":
            kind = item[":discriminator"][":type"]
            builder.skipped.append(f"slice {item[':slice_id']}: {kind} slices are not expressed")
    for item in _pattern_slices(group):
        discriminator = item[":discriminator"]
        slice_id = builder.element_id(item[":slice_id"])
        sliced = builder.place(slice_id.rpartition(":")[0], "slicing")
        if sliced is None:
            continue
        anchor, pattern, pattern_type = _slice_pattern(discriminator)
        path = anchor or "$this"
        sliced["slicing"] = {"discriminator": [{"type": "pattern", "path": path}], "rules": "open"}
        target = builder.touch(slice_id)
        # a slice is a copy of the sliced element: its min 1 would make every slice required
        target.update({"sliceName": item[":slice_name"], "min": 0, "mustSupport": True})
        holder = builder.touch(f"{slice_id}.{anchor}") if anchor else target
        holder["pattern" + pattern_type] = pattern
    for extension in group[":must_supports"][":extensions"]:
        slice_id = builder.element_id(extension[":id"])
        sliced = builder.touch(slice_id.rpartition(":")[0])
        sliced["slicing"] = {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"}
        target = builder.touch(slice_id)
        target.update({"sliceName": slice_id.rpartition(":")[2], "min": 0, "mustSupport": True})
        target["type"] = [{"code": "Extension", "profile": [extension[":url"]]}]


def _bindings(builder: _Builder, group: Group) -> None:
    for binding in group[":bindings"]:
        value_set = str(binding[":system"])
        where = f"binding {binding[':path']} to {value_set}"
        if binding.get(":extensions"):
            builder.skipped.append(f"{where}: inside an extension")
            continue
        if value_set not in builder.definitions.value_sets:
            builder.skipped.append(f"{where}: value set not expandable here")
            continue
        target = builder.place(builder.element_id(binding[":path"]), "binding")
        if target is not None:
            target["binding"] = {"strength": "required", "valueSet": value_set}


def _references(builder: _Builder, group: Group) -> None:
    for reference in group[":references"]:
        element_id = builder.element_id(reference[":path"])
        targets = [p for p in reference[":profiles"] if p in builder.known]
        if len(targets) < len(reference[":profiles"]) or "Resource" in targets:
            builder.skipped.append(f"reference {element_id}: a target we do not know, unchecked")
            continue
        found = builder.locate(element_id)
        codes = builder._types(found[0], found[1]) if found else []
        if found is None or "Reference" not in codes:
            builder.skipped.append(f"reference {element_id}: no Reference element in the base")
            continue
        types = [
            {"code": "Reference", "targetProfile": targets}
            if code == "Reference"
            else {"code": code}
            for code in codes
        ]
        builder.touch(found[0])["type"] = types


def known_targets(groups: list[Group], definitions: Definitions) -> dict[str, str]:
    """Reference targets we can check: the base resource types and the reconstructed profiles."""
    known = {
        url: str(sd["type"])
        for url, sd in definitions.structures.items()
        if url.startswith(HL7_SD) and sd.get("kind") == "resource"
    }
    known.update({str(g[":profile_url"]): str(g[":resource"]) for g in groups})
    return known


def reconstruct(group: Group, definitions: Definitions, known: Mapping[str, str]) -> Reconstruction:
    """The differential StructureDefinition of one profile group."""
    builder = _Builder(group, definitions, known)
    mandatory = {builder.element_id(p) for p in group[":mandatory_elements"]}
    paths = [builder.element_id(e[":path"]) for e in group[":must_supports"][":elements"]]
    _restrict_choices(builder, [*paths, *mandatory])
    inside = _must_supports(builder, group, mandatory)
    for element_id in sorted(mandatory - inside):
        target = builder.place(element_id, "mandatory")
        if target is not None:
            target["min"] = 1
    _slices(builder, group)
    _bindings(builder, group)
    _references(builder, group)
    return Reconstruction(_structure(group, builder), builder.skipped)


def _structure(group: Group, builder: _Builder) -> dict[str, Any]:
    url = str(group[":profile_url"])
    return {
        "resourceType": "StructureDefinition",
        "id": url.rsplit("/", 1)[-1],
        "url": url,
        "version": str(group.get(":profile_version", "")),
        "name": str(group[":name"]),
        "title": f"{group.get(':profile_name', group[':name'])} (reconstructed)",
        "status": "draft",
        "description": "Reconstructed from the Inferno US Core test kit's metadata; "
        "not the published US Core StructureDefinition.",
        "fhirVersion": "4.0.1",
        "kind": "resource",
        "abstract": False,
        "type": builder.type,
        "baseDefinition": HL7_SD + builder.type,
        "derivation": "constraint",
        "differential": {"element": list(builder.elements.values())},
    }


def reconstruct_all(metadata: Path, definitions: Definitions) -> list[Reconstruction]:
    """Every profile group of ``metadata`` reconstructed."""
    groups = read_groups(metadata)
    known = known_targets(groups, definitions)
    return [reconstruct(group, definitions, known) for group in groups]
