"""The server's CapabilityStatement (https://hl7.org/fhir/R4/capabilitystatement.html).

Built from what is implemented: the served resource types, the interactions the REST core
handles, the search parameters of the search registry that the store can answer, the
operations in ``REGISTRY`` (with their OperationDefinitions' URLs) and our guide's profiles.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from conformance.guide import supported_profiles
from conformance.restrictions import Restriction, restrict
from operations import REGISTRY
from profiles_ig.canonical import IG_URL, profile_url
from profiles_ig.search_params import builtin_registry
from resources.resource_types import R5_TYPES, SERVED_TYPES
from resources.search.fulltext import FULLTEXT_CODES
from resources.search.param_def import SearchParamDef
from resources.search.registry import SearchRegistry

SOFTWARE_NAME = "Nutri-Vision"
SOFTWARE_VERSION = "0.1.0"
SERVED_MODEL_URL = profile_url("served-model")
"""Extension on ``software`` naming a model the server serves (``service: name@version``)."""

TYPE_INTERACTIONS = (
    "read",
    "vread",
    "update",
    "patch",
    "delete",
    "history-instance",
    "history-type",
    "create",
    "search-type",
)

UNANSWERED_SEARCH_TYPES = frozenset({"special"})
"""Parameter types the search engine has no SQL for (``near``); they are not declared."""


def answerable(param: SearchParamDef) -> bool:
    """True for a registry parameter the search engine answers (it has an expression to index
    and a type with SQL, or it is full text: ``_text``, ``_content``); only those are declared."""
    if param.expression is None:
        return param.code in FULLTEXT_CODES
    return param.type not in UNANSWERED_SEARCH_TYPES


def _search_params(resource_type: str, registry: SearchRegistry) -> list[dict[str, Any]]:
    params = registry.params_for(resource_type)
    return [
        {"name": code, "definition": param.url, "type": param.type}
        for code, param in sorted(params.items())
        if answerable(param)
    ]


def _includes(resource_type: str, registry: SearchRegistry) -> list[str]:
    params = registry.params_for(resource_type)
    return [
        f"{resource_type}:{code}"
        for code, param in sorted(params.items())
        if param.type == "reference" and answerable(param)
    ]


def _revincludes(resource_type: str, registry: SearchRegistry) -> list[str]:
    found = set()
    for other in SERVED_TYPES:
        for code, param in registry.params_for(other).items():
            if param.type == "reference" and answerable(param) and resource_type in param.target:
                found.add(f"{other}:{code}")
    return sorted(found)


def _applies(module: ModuleType, resource_type: str) -> bool:
    definition = module.DEFINITION
    types = definition.get("resource", [])
    at_type_level = definition.get("type", False) or definition.get("instance", False)
    return bool(at_type_level) and ("Resource" in types or resource_type in types)


def _operations(resource_type: str) -> list[dict[str, Any]]:
    return [
        {"name": module.DEFINITION["code"], "definition": module.DEFINITION["url"]}
        for module in REGISTRY
        if _applies(module, resource_type)
    ]


def _resource_entry(resource_type: str, registry: SearchRegistry) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": resource_type,
        "profile": f"http://hl7.org/fhir/StructureDefinition/{resource_type}",
        "interaction": [{"code": code} for code in TYPE_INTERACTIONS],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": True,
        "conditionalCreate": True,
        "conditionalRead": "modified-since",
        "conditionalUpdate": True,
        # "multiple" only with NUTRIVISION_CONDITIONAL_DELETE_MULTIPLE; the statement is static
        "conditionalDelete": "single",
    }
    optional = {
        "supportedProfile": supported_profiles(resource_type),
        "searchInclude": _includes(resource_type, registry),
        "searchRevInclude": _revincludes(resource_type, registry),
        "searchParam": _search_params(resource_type, registry),
        "operation": _operations(resource_type),
    }
    entry.update({key: value for key, value in optional.items() if value})  # no empty arrays
    if resource_type in R5_TYPES:
        entry["documentation"] = "FHIR R5 resource served on this R4 endpoint (R5 model)."
    return entry


OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"


def _security(oauth_uris: dict[str, str]) -> dict[str, Any]:
    """SMART on FHIR security: the service code and the oauth-uris extension
    (https://hl7.org/fhir/smart-app-launch/conformance.html#declaring-support-for-oauth2-endpoints)."""
    return {
        "cors": True,
        "service": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                        "code": "SMART-on-FHIR",
                    }
                ],
                "text": "OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)",
            }
        ],
        "extension": [
            {
                "url": OAUTH_URIS,
                "extension": [{"url": k, "valueUri": v} for k, v in oauth_uris.items()],
            }
        ],
    }


def _rest(registry: SearchRegistry) -> dict[str, Any]:
    rest: dict[str, Any] = {
        "mode": "server",
        "resource": [_resource_entry(name, registry) for name in sorted(SERVED_TYPES)],
        "interaction": [{"code": code} for code in ("transaction", "batch", "history-system")],
    }
    operations = [  # every operation, as before; the type-level ones also on their types
        {"name": module.DEFINITION["code"], "definition": module.DEFINITION["url"]}
        for module in REGISTRY
    ]
    if operations:  # FHIR JSON has no empty arrays
        rest["operation"] = operations
    return rest


@functools.cache
def _default_rest() -> dict[str, Any]:
    """The ``rest`` part for the built-in registry, built once (about 0.7 MB of JSON)."""
    return _rest(builtin_registry())


def _software(models: Mapping[str, str]) -> dict[str, Any]:
    """``software``, with one extension per served model (``service: name@version``)."""
    software: dict[str, Any] = {"name": SOFTWARE_NAME, "version": SOFTWARE_VERSION}
    if models:
        software["extension"] = [
            {"url": SERVED_MODEL_URL, "valueString": f"{service}: {reference}"}
            for service, reference in sorted(models.items())
        ]
    return software


def capability_statement(
    base_url: str,
    date: str,
    oauth_uris: dict[str, str] | None = None,
    registry: SearchRegistry | None = None,
    restrictions: Mapping[str, Restriction] | None = None,
    models: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The CapabilityStatement for a server reachable at ``base_url``; ``oauth_uris``
    (``authorize``, ``token``, ...) declares the SMART authorization endpoints;
    ``restrictions``: types served by routes of their own, and what those serve; ``models``
    (``name@version`` by service) are named in ``software`` extensions."""
    rest = dict(_rest(registry) if registry is not None else _default_rest())  # cache unchanged
    if restrictions:
        rest = restrict(rest, restrictions)
    if oauth_uris:
        rest["security"] = _security(oauth_uris)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": SOFTWARE_NAME,
        "kind": "instance",
        "software": _software(models or {}),
        "implementation": {"description": "Nutri-Vision FHIR server", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "patchFormat": ["application/json-patch+json", "application/fhir+json"],
        "implementationGuide": [IG_URL],
        "rest": [rest],
    }
