"""A LOINC subset: the labs, vital signs and nutrient-intake codes the project uses.

The file ``data/loinc-subset.json`` is a CodeSystem with ``content`` = ``fragment``: a code not
in it is unknown here, not invalid. LOINC terms of use: see ``terminology/SOURCES.md``.
"""

from __future__ import annotations

import functools
import json
from importlib.resources import files
from typing import Any

from terminology.codesystems.concepts import CodeSystemIndex, index_from_resource

SYSTEM = "http://loinc.org"
DATA_FILE = "loinc-subset.json"


def resource() -> dict[str, Any]:
    """The subset as a CodeSystem resource."""
    text = files("terminology.loinc").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@functools.cache
def code_system() -> CodeSystemIndex:
    """The subset, indexed."""
    return index_from_resource(resource())
