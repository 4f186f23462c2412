"""Error codes are unique and well formed; every FhirError renders its OperationOutcome."""

from __future__ import annotations

import re

import pytest

from resources import error_codes, errors
from resources.errors import ERROR_CODE_SYSTEM, FhirError, Issue, information, operation_outcome

EXPECTED_STATUS: dict[type[FhirError], int] = {
    errors.Invalid: 400,
    errors.NotSupported: 400,
    errors.Unauthorized: 401,
    errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.MethodNotAllowed: 405,
    errors.NotAcceptable: 406,
    errors.Conflict: 409,
    errors.Gone: 410,
    errors.PreconditionFailed: 412,
    errors.PayloadTooLarge: 413,
    errors.UnsupportedMediaType: 415,
    errors.Unprocessable: 422,
    errors.ServiceUnavailable: 503,
    errors.TooCostly: 503,
}

VALID_ISSUE_CODES = frozenset(
    {
        "invalid",
        "structure",
        "required",
        "value",
        "invariant",
        "security",
        "login",
        "unknown",
        "expired",
        "forbidden",
        "suppressed",
        "processing",
        "not-supported",
        "duplicate",
        "multiple-matches",
        "not-found",
        "deleted",
        "too-long",
        "code-invalid",
        "extension",
        "too-costly",
        "business-rule",
        "conflict",
        "transient",
        "lock-error",
        "no-store",
        "exception",
        "timeout",
        "incomplete",
        "throttled",
        "informational",
    }
)
"""http://hl7.org/fhir/R4/valueset-issue-type.html"""


def _codes() -> dict[str, str]:
    return {
        name: value
        for name, value in vars(error_codes).items()
        if name.isupper() and isinstance(value, str)
    }


def _all_subclasses(cls: type[FhirError]) -> set[type[FhirError]]:
    direct = set(cls.__subclasses__())
    return direct.union(*(_all_subclasses(sub) for sub in direct))


def test_there_are_error_codes() -> None:
    assert len(_codes()) >= 29


def test_error_codes_are_unique() -> None:
    values = list(_codes().values())
    duplicates = sorted({v for v in values if values.count(v) > 1})
    assert duplicates == []


@pytest.mark.parametrize(("name", "value"), sorted(_codes().items()))
def test_error_codes_are_nv_and_four_digits(name: str, value: str) -> None:
    assert re.fullmatch(r"NV-\d{4}", value), name


def test_every_fhir_error_has_an_expected_status() -> None:
    assert _all_subclasses(FhirError) == set(EXPECTED_STATUS)


def _name(cls: type[FhirError]) -> str:
    return cls.__name__


@pytest.mark.parametrize("cls", list(EXPECTED_STATUS), ids=_name)
def test_fhir_error_renders_an_outcome(cls: type[FhirError]) -> None:
    status = EXPECTED_STATUS[cls]
    error = cls("it went wrong", error_codes.INTERNAL, ("Patient.gender",))
    assert cls.status == status
    assert error.status == status
    assert cls.issue_code in VALID_ISSUE_CODES
    assert str(error) == "it went wrong"
    outcome = error.outcome()
    assert outcome["resourceType"] == "OperationOutcome"
    issue = outcome["issue"][0]
    assert issue["severity"] == "error"
    assert issue["code"] == cls.issue_code
    assert issue["diagnostics"] == "it went wrong"
    assert issue["expression"] == ["Patient.gender"]
    assert issue["details"]["coding"] == [{"system": ERROR_CODE_SYSTEM, "code": "NV-0025"}]


def test_fhir_error_is_raisable_and_carries_headers() -> None:
    error = errors.Gone("deleted", error_codes.RESOURCE_GONE)
    error.headers["ETag"] = 'W/"3"'
    with pytest.raises(FhirError) as caught:
        raise error
    assert caught.value.headers == {"ETag": 'W/"3"'}
    assert errors.Gone("x", error_codes.RESOURCE_GONE).headers == {}


def test_extra_issues_follow_the_first() -> None:
    detail = Issue("error", "value", "Patient.gender: bad", ("Patient.gender",))
    error = errors.Invalid("not valid", error_codes.RESOURCE_INVALID, issues=[detail])
    issues = error.outcome()["issue"]
    assert len(issues) == 2
    assert issues[0]["details"]["coding"][0]["code"] == error_codes.RESOURCE_INVALID
    assert issues[1] == {
        "severity": "error",
        "code": "value",
        "diagnostics": "Patient.gender: bad",
        "expression": ["Patient.gender"],
    }


def test_issue_without_code_or_expression_is_minimal() -> None:
    assert Issue("warning", "informational", "note").to_json() == {
        "severity": "warning",
        "code": "informational",
        "diagnostics": "note",
    }


def test_information_outcome() -> None:
    outcome = information("Stored", error_codes.INTERNAL)
    assert outcome["issue"][0]["severity"] == "information"
    assert outcome["issue"][0]["code"] == "informational"
    assert outcome["issue"][0]["details"]["text"] == "Stored"
    assert operation_outcome([]) == {"resourceType": "OperationOutcome", "issue": []}
