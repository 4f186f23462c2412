"""Findings as FHIR: DetectedIssue resources, warning issues and the check's Parameters.

https://hl7.org/fhir/R4/detectedissue.html. ``code`` comes from the DetectedIssue category
value set (v3 ActCode: FOOD for a food interaction, ALLERGY for an allergy alert, DRG for a
drug interaction); our own finding kind travels as a second coding.
"""

from __future__ import annotations

import hashlib
from typing import Any

from operations.safety.model import CheckResult, Finding
from resources.errors import Issue
from resources.identity import instant, now

BASE = "https://nutrivision.example.org/fhir"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
KIND_SYSTEM = f"{BASE}/CodeSystem/safety-finding-kind"
RULE_SYSTEM = f"{BASE}/CodeSystem/safety-rule"
FINDING_SYSTEM = f"{BASE}/NamingSystem/safety-finding"
CONFIDENCE_URL = f"{BASE}/StructureDefinition/finding-confidence"
FINGERPRINT_URL = f"{BASE}/StructureDefinition/finding-fingerprint"
_CATEGORY = {
    "drug-food": ("FOOD", "Food Interaction Alert"),
    "food-allergy": ("ALLERGY", "Allergy Alert"),
    "cross-reactivity": ("ALLERGY", "Allergy Alert"),
    "drug-allergy": ("ALLERGY", "Allergy Alert"),
}


def finding_identifier(patient: str | None, finding: Finding) -> str:
    """The deterministic identifier of a finding for a patient: one resource per cause."""
    return hashlib.sha256(f"{patient or '-'}|{finding.cause}".encode()).hexdigest()[:40]


def fingerprint(finding: Finding) -> str:
    """What must change for an acknowledged finding to alert again: severity, drugs, allergies."""
    parts: list[str] = [finding.severity]
    parts += sorted(m.reference or m.text for m in finding.medications)
    parts += sorted(a.reference or a.text for a in finding.allergies)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def detected_issue(finding: Finding, patient: str | None = None, *triggers: str) -> dict[str, Any]:
    """The finding as a DetectedIssue (``status`` preliminary: no clinician has seen it);
    ``triggers``, the writes that made the check, implicated first."""
    code, display = _CATEGORY[finding.kind]
    issue: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "extension": [
            {"url": CONFIDENCE_URL, "valueCode": finding.confidence},
            {"url": FINGERPRINT_URL, "valueString": fingerprint(finding)},
        ],
        "identifier": [{"system": FINDING_SYSTEM, "value": finding_identifier(patient, finding)}],
        "status": "preliminary",
        "code": {
            "coding": [
                {"system": ACT_CODE, "code": code, "display": display},
                {"system": KIND_SYSTEM, "code": finding.kind},
            ],
            "text": finding.title,
        },
        "severity": finding.severity,
        "identifiedDateTime": instant(now()),
        "implicated": _implicated(finding, triggers),
        "evidence": [
            {"code": [{"coding": [{"system": RULE_SYSTEM, "code": finding.rule}], "text": text}]}
            for text in finding.evidence
        ]
        + [{"code": [{"text": f"Source: {source}"}]} for source in finding.sources],
        "detail": finding.detail,
        "mitigation": [{"action": {"text": finding.mitigation}}],
    }
    if patient:
        issue["patient"] = {"reference": patient}
    return issue


def _implicated(finding: Finding, triggers: tuple[str, ...]) -> list[dict[str, Any]]:
    refs: list[dict[str, Any]] = [{"reference": t} for t in dict.fromkeys(triggers) if t]
    items: list[tuple[str | None, str]] = [(m.reference, m.text) for m in finding.medications]
    items += [(a.reference, a.text) for a in finding.allergies]
    items += [(f.reference, f.text) for f in finding.foods]
    for reference, text in items:
        ref = {"reference": reference} if reference else {"display": text}
        if ref not in refs:
            refs.append(ref)
    return refs


def warning(finding: Finding, reference: str | None = None) -> Issue:
    """The finding as an OperationOutcome warning, for the request that caused it."""
    where = f" ({reference})" if reference else ""
    text = f"{finding.severity.upper()} {finding.title}: {finding.detail} {finding.mitigation}"
    return Issue("warning", "business-rule", f"{text}{where}", nv_code=None)


def check_parameters(result: CheckResult, patient: str | None) -> dict[str, Any]:
    """The ``$interaction-check`` answer: findings, the overall outcome, what was unknown."""
    params: list[dict[str, Any]] = [
        {"name": "finding", "resource": detected_issue(f, patient)} for f in result.findings
    ]
    params.append({"name": "outcome", "resource": overall_outcome(result)})
    params += [
        {
            "name": "unrecognised",
            "part": [
                {"name": "kind", "valueCode": item.kind},
                {"name": "text", "valueString": item.text},
            ],
        }
        for item in result.unrecognised
    ]
    return {"resourceType": "Parameters", "parameter": params}


def overall_outcome(result: CheckResult) -> dict[str, Any]:
    """One issue per finding (warning) and per unrecognised input (warning), or 'no findings'."""
    issues: list[dict[str, Any]] = []
    for finding in result.findings:
        issues.append(warning(finding).to_json())
    for item in result.unrecognised:
        issues.append(
            {
                "severity": "warning",
                "code": "not-found",
                "diagnostics": f"Unrecognised {item.kind} {item.text!r}: it was not checked",
            }
        )
    counts = ", ".join(f"{n} {kind}(s)" for kind, n in result.checked.items())
    summary = f"Checked {counts}: {len(result.findings)} finding(s)"
    issues.append({"severity": "information", "code": "informational", "diagnostics": summary})
    return {"resourceType": "OperationOutcome", "issue": issues}
