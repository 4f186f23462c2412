"""Pages of patient self-registration and of the optional authenticator enrolment. Plain HTML
forms without JavaScript; every input labelled; errors announced."""

from __future__ import annotations

from html import escape

from fhir_server.auth.account_pages import RULES
from fhir_server.auth.pages import page
from smart_auth.registration import CONSENT_TEXT, HEALTH_DATA, PRIVACY


def _errors(problems: list[str]) -> str:
    if not problems:
        return ""
    items = "".join(f"<li>{escape(p)}</li>" for p in problems)
    return f'<div class="error" role="alert"><ul>{items}</ul></div>'


def _text(field: str, label: str, kind: str, autocomplete: str, value: str = "") -> str:
    return (
        f'<label for="{field}">{label}</label>'
        f'<input type="{kind}" id="{field}" name="{field}" autocomplete="{autocomplete}" '
        f'value="{escape(value)}" required>'
    )


def _box(field: str, value: str, label: str, required: bool) -> str:
    return (
        f'<div class="scope"><input type="checkbox" id="{field}" name="{field.split("-")[0]}" '
        f'value="{value}"{" required" if required else ""}>'
        f'<label for="{field}">{escape(label)}</label></div>'
    )


def register_page(problems: list[str] | None = None, kept: dict[str, str] | None = None) -> str:
    """The registration form (names and e-mail kept after an error, passwords never)."""
    kept = kept or {}
    body = (
        f'{_errors(problems or [])}<form method="post" action="register">'
        + _text("given", "Given name", "text", "given-name", kept.get("given", ""))
        + _text("family", "Family name", "text", "family-name", kept.get("family", ""))
        + _text("email", "E-mail address", "email", "email", kept.get("email", ""))
        + f'<p id="rules">{RULES}</p>'
        + _text("password", "Password", "password", "new-password")
        + _text("confirm", "Password again", "password", "new-password")
        + "<fieldset><legend>Consents</legend>"
        + _box("consent-health", HEALTH_DATA, CONSENT_TEXT[HEALTH_DATA], True)
        + _box("consent-privacy", PRIVACY, CONSENT_TEXT[PRIVACY], True)
        + "</fieldset>"
        + _box("mfa", "totp", "Also protect my account with an authenticator app", False)
        + '<button type="submit">Create account</button></form>'
    )
    return page("Create your account", body)


def registered_page(username: str) -> str:
    """The account exists."""
    body = (
        f'<p role="status">Your account <strong>{escape(username)}</strong> is ready. '
        "Sign in with it from the app.</p>"
    )
    return page("Account created", body)


def enrol_page(token: str, secret: str, uri: str, error: str | None = None) -> str:
    """Add the account to an authenticator app, then type its first code."""
    alert = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = (
        f"{alert}<p>Add this account to your authenticator app with the key "
        f'<code>{escape(secret)}</code> (or open <a href="{escape(uri)}">this link</a> '
        "on your phone), then type the code the app shows.</p>"
        f'<form method="post" action="register/mfa">'
        f'<input type="hidden" name="token" value="{escape(token)}">'
        '<label for="code">Six-digit code from your authenticator app</label>'
        '<input type="text" id="code" name="code" inputmode="numeric" '
        'autocomplete="one-time-code" required autofocus>'
        '<button type="submit">Turn on</button></form>'
    )
    return page("Set up your authenticator app", body)


def recovery_page(codes: list[str]) -> str:
    """The recovery codes, shown once."""
    items = "".join(f"<li><code>{escape(c)}</code></li>" for c in codes)
    body = (
        '<p role="status">Your authenticator app is set up. Keep these recovery codes '
        f"somewhere safe: each one works once if you lose your phone.</p><ul>{items}</ul>"
    )
    return page("Authenticator app on", body)
