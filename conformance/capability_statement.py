"""The server's CapabilityStatement (https://hl7.org/fhir/R4/capabilitystatement.html).

Built from what is implemented: the served resource types, the interactions the REST core
handles, the search parameters the store answers and the operations in ``REGISTRY``.
"""

from __future__ import annotations

from typing import Any

from operations import REGISTRY
from resources.resource_types import R5_TYPES, SERVED_TYPES

SOFTWARE_NAME = "Nutri-Vision"
SOFTWARE_VERSION = "0.1.0"

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

COMMON_SEARCH_PARAMS = (
    ("_id", "token", "http://hl7.org/fhir/SearchParameter/Resource-id"),
    ("identifier", "token", "http://hl7.org/fhir/SearchParameter/clinical-identifier"),
)


def _resource_entry(resource_type: str) -> dict[str, Any]:
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
        "searchParam": [
            {"name": name, "type": kind, "definition": url}
            for name, kind, url in COMMON_SEARCH_PARAMS
        ],
    }
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


def _rest(oauth_uris: dict[str, str] | None = None) -> dict[str, Any]:
    rest: dict[str, Any] = {
        "mode": "server",
        "resource": [_resource_entry(name) for name in sorted(SERVED_TYPES)],
        "interaction": [{"code": code} for code in ("transaction", "batch", "history-system")],
    }
    operations = [
        {"name": module.DEFINITION["code"], "definition": module.DEFINITION["url"]}
        for module in REGISTRY
    ]
    if operations:  # FHIR JSON has no empty arrays
        rest["operation"] = operations
    if oauth_uris:
        rest["security"] = _security(oauth_uris)
    return rest


def capability_statement(
    base_url: str, date: str, oauth_uris: dict[str, str] | None = None
) -> dict[str, Any]:
    """The CapabilityStatement for a server reachable at ``base_url``; ``oauth_uris``
    (``authorize``, ``token``, ...) declares the SMART authorization endpoints."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": SOFTWARE_NAME,
        "kind": "instance",
        "software": {"name": SOFTWARE_NAME, "version": SOFTWARE_VERSION},
        "implementation": {"description": "Nutri-Vision FHIR server", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "patchFormat": ["application/json-patch+json", "application/fhir+json"],
        "rest": [_rest(oauth_uris)],
    }
