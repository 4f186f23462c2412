"""``$validate`` at type and instance level: structure, the base definition, profiles.

https://hl7.org/fhir/R4/resource-operation-validate.html

``mode`` ``create`` and ``update`` validate the resource as that write would (``update`` needs
its id, the instance's id at instance level); ``delete`` checks that the instance exists. The
answer is an OperationOutcome (200 whatever it holds): errors, warnings and information with
their FHIRPath ``expression``; a valid resource gets one information issue.
"""

from __future__ import annotations

from typing import Any

from operations.base import OperationContext, OperationResult
from operations.parameters import Parameters
from profiles_ig.validation import validate_resource
from profiles_ig.validator import default_validator
from resources import error_codes, fhir_json
from resources.errors import Gone, Invalid, Issue, NotFound, operation_outcome

DEFINITION: dict[str, Any] = {
    "resourceType": "OperationDefinition",
    "id": "Resource-validate",
    "url": "http://hl7.org/fhir/OperationDefinition/Resource-validate",
    "name": "Validate",
    "status": "active",
    "kind": "operation",
    "code": "validate",
    "resource": ["Resource"],
    "system": False,
    "type": True,
    "instance": True,
    "affectsState": False,
    "parameter": [
        {"name": "resource", "use": "in", "min": 0, "max": "1", "type": "Resource"},
        {"name": "mode", "use": "in", "min": 0, "max": "1", "type": "code"},
        {"name": "profile", "use": "in", "min": 0, "max": "1", "type": "uri"},
        {"name": "return", "use": "out", "min": 1, "max": "1", "type": "OperationOutcome"},
    ],
}

MODES = ("create", "update", "delete")


async def _stored(ctx: OperationContext) -> dict[str, Any]:
    resource_type, id_ = ctx.instance()
    stored = await ctx.store.read(resource_type, id_)
    if stored is None:
        raise NotFound(f"{resource_type}/{id_} is not known", error_codes.RESOURCE_NOT_FOUND)
    if stored.deleted or stored.body is None:
        raise Gone(f"{stored.reference} was deleted", error_codes.RESOURCE_GONE)
    resource: dict[str, Any] = fhir_json.loads(stored.body)
    return resource


def _mode(params: Parameters) -> str | None:
    mode = params.value("mode")
    if mode is not None and mode not in MODES:
        raise Invalid(
            f"mode must be one of {', '.join(MODES)}, not {mode!r}",
            error_codes.VALIDATE_BAD_MODE,
            ("Parameters.parameter.mode",),
        )
    return str(mode) if mode is not None else None


def _checked_resource(ctx: OperationContext, resource: Any) -> dict[str, Any]:
    if not isinstance(resource, dict):
        raise Invalid("No resource to validate", error_codes.VALIDATE_NO_RESOURCE)
    if resource.get("resourceType") != ctx.resource_type:
        raise Invalid(
            f"A {resource.get('resourceType')} cannot be validated as a {ctx.resource_type}",
            error_codes.VALIDATE_WRONG_TYPE,
            ("resourceType",),
        )
    return resource


def _mode_issues(ctx: OperationContext, resource: dict[str, Any], mode: str | None) -> list[Issue]:
    if mode != "update":
        return []
    if "id" not in resource:
        return [Issue("error", "required", "An update must carry the resource id", ("id",))]
    if ctx.id is not None and resource["id"] != ctx.id:
        message = f"The resource id {resource['id']!r} is not the instance id {ctx.id!r}"
        return [Issue("error", "value", message, ("id",))]
    return []


def _profile(params: Parameters) -> list[str]:
    profile = params.value("profile")
    if profile is None:
        return []
    if default_validator().definitions.structure(str(profile)) is None:
        raise Invalid(
            f"Profile {profile} is not known to this server",
            error_codes.UNKNOWN_PROFILE,
            ("Parameters.parameter.profile",),
        )
    return [str(profile)]


async def handle(ctx: OperationContext, params: Parameters) -> OperationResult:
    """Validate the given (or, at instance level, the stored) resource."""
    mode = _mode(params)
    profiles = _profile(params)
    if mode == "delete":
        await _stored(ctx)  # it must exist; nothing here refuses a delete beyond that
        return _outcome([])
    resource = params.value("resource")
    if resource is None and ctx.id is not None:
        resource = await _stored(ctx)
    checked = _checked_resource(ctx, resource)
    issues = _mode_issues(ctx, checked, mode) + validate_resource(checked, profiles)
    return _outcome(issues)


def _outcome(issues: list[Issue]) -> OperationResult:
    if not issues:
        issues = [Issue("information", "informational", "No issues detected during validation")]
    return OperationResult(operation_outcome(issues))
