"""The authorization endpoint's pages: plain server-rendered HTML forms, no JavaScript.

Every input has a label, errors are announced (``role="alert"``) and the first field takes
the focus; every value is escaped.
"""

from __future__ import annotations

from html import escape

from smart_auth.grants import describe

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}"
    "label{display:block;margin:.75rem 0 .25rem}input[type=text],input[type=password]"
    "{width:100%;padding:.5rem;font-size:1rem}button{margin-top:1rem;padding:.5rem 1rem;"
    "font-size:1rem}.error{color:#a00}fieldset{border:1px solid #999;padding:.5rem 1rem}"
    ".scope label{display:inline;margin:0}.scope{margin:.5rem 0}"
)


def page(title: str, body: str) -> str:
    """A complete HTML document."""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} - Nutri-Vision</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def _error(message: str | None) -> str:
    return f'<p class="error" role="alert">{escape(message)}</p>' if message else ""


def _hidden(tx: str) -> str:
    return f'<input type="hidden" name="tx" value="{escape(tx)}">'


def login_page(tx: str, client_name: str, error: str | None = None) -> str:
    """User name and password."""
    body = (
        f"<p>Sign in to let <strong>{escape(client_name)}</strong> use your health records.</p>"
        f'{_error(error)}<form method="post" action="login">{_hidden(tx)}'
        '<label for="username">User name</label>'
        '<input type="text" id="username" name="username" autocomplete="username" '
        "required autofocus>"
        '<label for="password">Password</label>'
        '<input type="password" id="password" name="password" '
        'autocomplete="current-password" required>'
        '<button type="submit">Sign in</button></form>'
        '<p><a href="password/forgot">Forgot your password?</a> '
        '<a href="register">Create an account</a></p>'
    )
    return page("Sign in", body)


def mfa_page(tx: str, error: str | None = None) -> str:
    """The one-time code from the authenticator app."""
    body = (
        f'{_error(error)}<form method="post" action="mfa">{_hidden(tx)}'
        '<label for="code">Six-digit code from your authenticator app, or a recovery code'
        "</label>"
        '<input type="text" id="code" name="code" autocomplete="one-time-code" '
        "required autofocus>"
        '<button type="submit">Verify</button></form>'
    )
    return page("Verify it is you", body)


def patient_page(tx: str, patients: list[tuple[str, str]], error: str | None = None) -> str:
    """The patient picker of a standalone launch by a practitioner."""
    options = "".join(
        f'<div class="scope"><input type="radio" id="p{n}" name="patient" value="{escape(pid)}"'
        f'{" required" if n == 0 else ""}><label for="p{n}">{escape(name)} ({escape(pid)})'
        "</label></div>"
        for n, (pid, name) in enumerate(patients)
    )
    body = (
        f'{_error(error)}<form method="post" action="patient">{_hidden(tx)}'
        f"<fieldset><legend>Which patient should the app open?</legend>"
        f"{options or '<p>No patients are recorded.</p>'}</fieldset>"
        '<button type="submit">Continue</button></form>'
    )
    return page("Choose a patient", body)


def consent_page(tx: str, client_name: str, scopes: tuple[str, ...], patient: str | None) -> str:
    """The requested scopes in plain words; unticking one grants less."""
    items = "".join(
        f'<div class="scope"><input type="checkbox" id="s{n}" name="scope" value="{escape(s)}" '
        f'checked><label for="s{n}">{escape(describe(s))} <code>{escape(s)}</code></label></div>'
        for n, s in enumerate(scopes)
    )
    about = f"<p>Patient: <strong>{escape(patient)}</strong></p>" if patient else ""
    body = (
        f"<p><strong>{escape(client_name)}</strong> asks to:</p>{about}"
        f'<form method="post" action="consent">{_hidden(tx)}'
        f"<fieldset><legend>Untick what you do not want to allow</legend>{items}</fieldset>"
        '<button type="submit" name="decision" value="allow">Allow</button> '
        '<button type="submit" name="decision" value="deny">Deny</button></form>'
    )
    return page("Allow access?", body)


def error_page(message: str) -> str:
    """A request that cannot go back to the application."""
    return page("Cannot continue", _error(message))
