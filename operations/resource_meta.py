"""``$meta`` at instance level: the resource's profiles, tags and security labels.

https://hl7.org/fhir/R4/resource-operation-meta.html
"""

from __future__ import annotations

from typing import Any

from operations.base import OperationContext, OperationResult, parameters_resource
from operations.parameters import Parameters
from resources import error_codes, fhir_json
from resources.errors import Gone, NotFound

DEFINITION: dict[str, Any] = {
    "resourceType": "OperationDefinition",
    "id": "Resource-meta",
    "url": "http://hl7.org/fhir/OperationDefinition/Resource-meta",
    "name": "Meta",
    "status": "active",
    "kind": "operation",
    "code": "meta",
    "resource": ["Resource"],
    "system": False,
    "type": False,
    "instance": True,
    "affectsState": False,
    "parameter": [
        {"name": "return", "use": "out", "min": 1, "max": "1", "type": "Meta"},
    ],
}

_KEPT = ("profile", "security", "tag")


async def handle(ctx: OperationContext, params: Parameters) -> OperationResult:
    """The current version's ``meta`` with only profiles, security labels and tags."""
    resource_type, id_ = ctx.instance()
    stored = await ctx.store.read(resource_type, id_)
    if stored is None:
        raise NotFound(f"{resource_type}/{id_} is not known", error_codes.RESOURCE_NOT_FOUND)
    if stored.deleted or stored.body is None:
        raise Gone(f"{stored.reference} was deleted", error_codes.RESOURCE_GONE)
    meta = fhir_json.loads(stored.body).get("meta", {})
    kept = {key: meta[key] for key in _KEPT if key in meta}
    return OperationResult(parameters_resource([{"name": "return", "valueMeta": kept}]))
