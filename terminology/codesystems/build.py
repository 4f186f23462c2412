"""Make the compact copy of the FHIR R4 terminology that ships in ``data/``.

Input: the spec's ``valuesets.json`` (CodeSystems and ValueSets) and ``conceptmaps.json``
Bundles from the ``hl7.fhir.r4.examples`` 4.0.1 package (CC0). Kept: what lookup, validation,
expansion and translation read (urls, versions, names, status, content, hierarchy, concepts
with display, definition, designations and properties, compose, ConceptMap groups); dropped:
narrative, extensions, contacts, descriptions. Written as minified JSON, gzip'ed.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

_KEPT = {
    "CodeSystem": ("resourceType", "id", "url", "version", "name", "title", "status",
                   "experimental", "caseSensitive", "valueSet", "hierarchyMeaning", "content",
                   "supplements", "count", "property", "filter", "concept"),
    "ValueSet": ("resourceType", "id", "url", "version", "name", "title", "status",
                 "experimental", "immutable", "compose"),
    "ConceptMap": ("resourceType", "id", "url", "version", "name", "title", "status",
                   "sourceUri", "sourceCanonical", "targetUri", "targetCanonical", "group"),
}  # fmt: skip
_CONCEPT_KEPT = ("code", "display", "definition", "designation", "property")
SOURCES = ("valuesets.json", "conceptmaps.json")


def _read_bundle(path: Path) -> dict[str, Any]:
    if path.exists():
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data
    with gzip.open(path.with_name(path.name + ".gz"), "rt", encoding="utf-8") as handle:
        return dict(json.load(handle))


def _concept(concept: Mapping[str, Any]) -> dict[str, Any]:
    kept = {key: concept[key] for key in _CONCEPT_KEPT if key in concept}
    if "concept" in concept:
        kept["concept"] = [_concept(child) for child in concept["concept"]]
    return kept


def compact(resource: Mapping[str, Any]) -> dict[str, Any] | None:
    """The kept elements of a terminology resource; None for other types."""
    kept_keys = _KEPT.get(str(resource.get("resourceType")))
    if kept_keys is None:
        return None
    kept = {key: resource[key] for key in kept_keys if key in resource}
    if "concept" in kept:
        kept["concept"] = [_concept(c) for c in kept["concept"]]
    return kept


def compact_resources(source_dir: Path) -> Iterator[dict[str, Any]]:
    """Every compacted terminology resource of the definition Bundles in ``source_dir``."""
    for name in SOURCES:
        for entry in _read_bundle(source_dir / name).get("entry", []):
            kept = compact(entry.get("resource", {}))
            if kept is not None:
                yield kept


def build(source_dir: Path, target: Path) -> int:
    """Write the compact copy to ``target``; returns the number of resources."""
    resources = list(compact_resources(source_dir))
    text = json.dumps(resources, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    target.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    return len(resources)
