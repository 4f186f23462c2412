"""Validation of one resource as ``$validate`` and the write check do it: the model's structural
check, then the base definition, then each profile asked for or claimed in ``meta.profile``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from profiles_ig.validator import Validator, default_validator
from resources.errors import Issue
from resources.model import validation_issues

HL7_BASE = "http://hl7.org/fhir/StructureDefinition/"


def claimed_profiles(resource: Mapping[str, Any]) -> list[str]:
    """The profiles a resource claims in ``meta.profile``."""
    meta = resource.get("meta")
    profiles = meta.get("profile", []) if isinstance(meta, Mapping) else []
    return [str(p) for p in profiles if isinstance(p, str)]


def is_error(issue: Issue) -> bool:
    """True for the severities that make a resource invalid."""
    return issue.severity in ("error", "fatal")


def validate_resource(
    resource: dict[str, Any],
    profiles: Iterable[str] = (),
    *,
    claims: bool = True,
    structural: bool = True,
    validator: Validator | None = None,
) -> list[Issue]:
    """Every issue of ``resource``: structure (the model, unless the caller has checked it),
    the base definition, ``profiles`` and (with ``claims``) the profiles it claims; a claimed
    profile we do not know is a warning."""
    validator = validator or default_validator()
    if structural and (found := validation_issues(resource)):
        return found  # the walk below assumes well-formed JSON
    resource_type = str(resource.get("resourceType"))
    wanted = list(profiles) + (claimed_profiles(resource) if claims else [])
    issues: list[Issue] = []
    applied = []
    for profile in dict.fromkeys(wanted):
        definition = validator.definitions.structure(profile)
        if definition is None:
            message = f"Profile {profile} is not known to this server: not checked"
            issues.append(Issue("warning", "not-supported", message, ("meta.profile",)))
        elif profile.split("|")[0] != HL7_BASE + resource_type:
            applied.append(definition)
    if not any(d["type"] == resource_type for d in applied):
        issues.extend(validator.validate(resource))
    # a profile of the resource's type carries the base's rules in its snapshot: no second walk
    for definition in applied:
        issues.extend(validator.validate(resource, str(definition["url"])))
    return _unique(issues)


def _unique(issues: list[Issue]) -> list[Issue]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for issue in issues:
        if (issue.severity, issue.diagnostics) not in seen:
            seen.add((issue.severity, issue.diagnostics))
            kept.append(issue)
    return kept
