"""Domain errors that carry their OperationOutcome.

Every error has a unique code (``NV-nnnn``) placed in ``issue.details.coding`` so that a
client, a log line and a test can name exactly what went wrong. The HTTP layer renders
any ``FhirError`` with its ``status``; nothing here knows about HTTP frameworks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

Severity = Literal["fatal", "error", "warning", "information"]

ERROR_CODE_SYSTEM = "https://nutrivision.example.org/fhir/CodeSystem/error-code"


@dataclass(frozen=True)
class Issue:
    """One OperationOutcome.issue."""

    severity: Severity
    code: str
    diagnostics: str
    expression: tuple[str, ...] = ()
    nv_code: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Render as an OperationOutcome.issue element."""
        issue: dict[str, Any] = {"severity": self.severity, "code": self.code}
        if self.nv_code:
            issue["details"] = {
                "coding": [{"system": ERROR_CODE_SYSTEM, "code": self.nv_code}],
                "text": self.diagnostics,
            }
        issue["diagnostics"] = self.diagnostics
        if self.expression:
            issue["expression"] = list(self.expression)
        return issue


def operation_outcome(issues: list[Issue] | tuple[Issue, ...]) -> dict[str, Any]:
    """Build an OperationOutcome resource from issues."""
    return {"resourceType": "OperationOutcome", "issue": [i.to_json() for i in issues]}


def information(message: str, nv_code: str | None = None) -> dict[str, Any]:
    """An OperationOutcome holding one informational issue."""
    issue = Issue("information", "informational", message, nv_code=nv_code)
    return operation_outcome([issue])


@dataclass
class FhirError(Exception):
    """Base of every error that becomes an OperationOutcome."""

    message: str
    nv_code: str
    expression: tuple[str, ...] = ()
    issues: list[Issue] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    status: ClassVar[int] = 500
    issue_code: ClassVar[str] = "exception"

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def outcome(self) -> dict[str, Any]:
        """The OperationOutcome for this error (its own issue first, then any details)."""
        first = Issue("error", self.issue_code, self.message, self.expression, self.nv_code)
        return operation_outcome([first, *self.issues])


class Invalid(FhirError):
    """The request is malformed or the resource is not valid (400)."""

    status = 400
    issue_code = "invalid"


class NotSupported(FhirError):
    """A valid request for something this server does not do (400)."""

    status = 400
    issue_code = "not-supported"


class Unauthorized(FhirError):
    """No valid credentials (401)."""

    status = 401
    issue_code = "login"


class Forbidden(FhirError):
    """Credentials do not grant this access (403)."""

    status = 403
    issue_code = "forbidden"


class NotFound(FhirError):
    """No such resource, type or endpoint (404)."""

    status = 404
    issue_code = "not-found"


class MethodNotAllowed(FhirError):
    """The interaction is not allowed on this endpoint (405)."""

    status = 405
    issue_code = "not-supported"


class NotAcceptable(FhirError):
    """No representation we can produce was accepted (406)."""

    status = 406
    issue_code = "not-supported"


class Conflict(FhirError):
    """The request conflicts with the current state (409)."""

    status = 409
    issue_code = "conflict"


class Gone(FhirError):
    """The resource was deleted (410)."""

    status = 410
    issue_code = "deleted"


class PreconditionFailed(FhirError):
    """A version or conditional precondition did not hold (412)."""

    status = 412
    issue_code = "conflict"


class PayloadTooLarge(FhirError):
    """The request body is over the configured limit (413)."""

    status = 413
    issue_code = "too-costly"


class UnsupportedMediaType(FhirError):
    """The request body's content type is not one we read (415)."""

    status = 415
    issue_code = "not-supported"


class Unprocessable(FhirError):
    """The resource is well-formed but breaks a business rule (422)."""

    status = 422
    issue_code = "processing"


class TooCostly(FhirError):
    """The server stopped the request at its time limit (503): it would have cost too much."""

    status = 503
    issue_code = "too-costly"


class ServiceUnavailable(FhirError):
    """A dependency is down (503)."""

    status = 503
    issue_code = "transient"
