"""OAuth 2.0 error responses (RFC 6749 section 5.2, RFC 7009, RFC 7662).

The token, introspection and revocation endpoints answer errors as OAuth JSON
(``{"error": ..., "error_description": ...}``), not as OperationOutcome: OAuth clients
read that shape.
"""

from __future__ import annotations


class OAuthError(Exception):
    """An OAuth error with its RFC 6749 code and HTTP status."""

    def __init__(
        self,
        error: str,
        description: str,
        status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}

    def to_json(self) -> dict[str, str]:
        """The error body."""
        return {"error": self.error, "error_description": self.description}


def invalid_request(description: str) -> OAuthError:
    """A required parameter is missing or malformed."""
    return OAuthError("invalid_request", description)


def invalid_client(description: str, status: int = 401) -> OAuthError:
    """Client authentication failed."""
    return OAuthError("invalid_client", description, status)


def invalid_grant(description: str) -> OAuthError:
    """The code, refresh token or assertion grant is invalid, expired or revoked."""
    return OAuthError("invalid_grant", description)


def invalid_scope(description: str) -> OAuthError:
    """The requested scope is invalid or exceeds what the client may have."""
    return OAuthError("invalid_scope", description)


def unsupported_grant_type(grant_type: str) -> OAuthError:
    """A grant type we do not offer."""
    return OAuthError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")


def unauthorized_client(description: str) -> OAuthError:
    """The client may not use this grant type."""
    return OAuthError("unauthorized_client", description)
