"""Reading OAuth requests: form bodies, and OAuth error responses."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse

from smart_auth.oauth_errors import OAuthError, invalid_request

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 64 * 1024


async def read_form(request: Request) -> dict[str, str]:
    """The form parameters of a POST (each at most once, RFC 6749 section 3.1)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        raise invalid_request(f"the body must be {FORM_TYPE}")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise invalid_request("the form is too large")
    return single_values(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def single_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """The pairs as a dict; a repeated parameter is an error."""
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise invalid_request(f"parameter {name} is repeated")
        form[name] = value
    return form


def oauth_error(error: OAuthError) -> JSONResponse:
    """The OAuth JSON error response."""
    headers = {**NO_STORE, **error.headers}
    return JSONResponse(error.to_json(), status_code=error.status, headers=headers)


def oauth_json(body: dict[str, object]) -> JSONResponse:
    """A successful OAuth JSON response, never cached."""
    return JSONResponse(body, headers=NO_STORE)
