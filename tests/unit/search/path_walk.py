"""An independent plain-Python evaluator of simple FHIRPath paths (``Type.a.b``), for checks.

It knows nothing of fhirpathpy: a choice element ``value`` matches the JSON key ``value`` + a
datatype name (``valueQuantity``), from the fixed list of R4 datatype names below, unless the
key ``value`` itself is present. ``Id`` is not in the list: ``subscriberId`` is an element.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

SIMPLE_PATH = re.compile(r"^[A-Z][A-Za-z]*(\.[a-z][A-Za-z]*)+$")
DATATYPES = frozenset(
    [
        "Base64Binary",
        "Boolean",
        "Canonical",
        "Code",
        "Date",
        "DateTime",
        "Decimal",
        "Instant",
        "Integer",
        "Markdown",
        "Oid",
        "PositiveInt",
        "String",
        "Time",
        "UnsignedInt",
        "Uri",
        "Url",
        "Uuid",
        "Address",
        "Age",
        "Annotation",
        "Attachment",
        "CodeableConcept",
        "Coding",
        "ContactPoint",
        "Count",
        "Distance",
        "Duration",
        "HumanName",
        "Identifier",
        "Money",
        "Period",
        "Quantity",
        "Range",
        "Ratio",
        "Reference",
        "SampledData",
        "Signature",
        "Timing",
        "ContactDetail",
        "Contributor",
        "DataRequirement",
        "Expression",
        "ParameterDefinition",
        "RelatedArtifact",
        "TriggerDefinition",
        "UsageContext",
        "Dosage",
        "Meta",
    ]
)


def simple_branches(expression: str) -> list[str] | None:
    """The branches of a union of simple paths, or None if the expression is anything else."""
    branches = [branch.strip() for branch in expression.split("|")]
    return branches if all(SIMPLE_PATH.match(branch) for branch in branches) else None


def walk(resource: Mapping[str, Any], path: str) -> list[Any]:
    """The items a simple path selects, in document order (JSON nulls left out)."""
    type_, *steps = path.split(".")
    if resource.get("resourceType") != type_:
        return []
    items: list[Any] = [resource]
    for step in steps:
        items = [child for item in items for child in _children(item, step)]
    return items


def _children(item: Any, step: str) -> list[Any]:
    if not isinstance(item, Mapping):
        return []
    found: list[Any] = []
    exact = step in item
    for key, value in item.items():
        choice = not exact and key.startswith(step) and key[len(step) :] in DATATYPES
        if key == step or choice:
            values = value if isinstance(value, list) else [value]
            found.extend(v for v in values if v is not None)
    return found
