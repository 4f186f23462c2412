"""Load the shipped ICD-10-CM table (``data/icd10cm-2026.tsv.gz``, see ``build``) once."""

from __future__ import annotations

import functools
import gzip
import threading
from importlib.resources import files

from terminology.codesystems.concepts import CodeSystemIndex, Concept

SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
VERSION = "2026"
DATA_FILE = "icd10cm-2026.tsv.gz"
PROPERTY_DEFS = (
    {"code": "kind", "type": "code", "description": "chapter, block or code"},
    {"code": "notSelectable", "type": "boolean", "description": "A grouper, not a code"},
    {"code": "parent", "type": "code", "description": "The code above this one"},
)


_PROPERTIES = {
    kind: (
        {"code": "kind", "valueCode": kind},
        *(() if kind == "code" else ({"code": "notSelectable", "valueBoolean": True},)),
    )
    for kind in ("chapter", "block", "code")
}
"""One shared property tuple per kind: 98,000 concepts need not each own one."""


def _concept(line: str) -> Concept:
    code, parent, kind, display = line.split("\t")
    return Concept(
        code=code,
        display=display,
        parents=(parent,) if parent else (),
        properties=_PROPERTIES[kind],
        abstract=kind != "code",
    )


_LOCK = threading.Lock()


def code_system() -> CodeSystemIndex:
    """ICD-10-CM: about 98,000 concepts (22 chapters, 258 blocks, the rest codes), loaded
    once (a second caller waits for the first load rather than doing it again)."""
    with _LOCK:
        return _load()


@functools.cache
def _load() -> CodeSystemIndex:
    raw = files("terminology.icd10cm").joinpath("data", DATA_FILE).read_bytes()
    lines = gzip.decompress(raw).decode("utf-8").splitlines()
    concepts = (_concept(line) for line in lines if line and not line.startswith("#"))
    return CodeSystemIndex.from_concepts(
        SYSTEM,
        concepts,
        version=VERSION,
        name="ICD10CM",
        title="International Classification of Diseases, 10th Revision, Clinical Modification",
        property_defs=PROPERTY_DEFS,
    )
