"""Pages of the password reset: ask for a link, choose a new password. Plain HTML forms
without JavaScript, every input labelled, errors announced."""

from __future__ import annotations

from html import escape

from fhir_server.auth.pages import page

RULES = "At least 10 characters, with three of: lower case, upper case, digits, symbols."


def _error(message: str | None) -> str:
    return f'<p class="error" role="alert">{escape(message)}</p>' if message else ""


def forgot_page(error: str | None = None) -> str:
    """Ask for a reset link by user name."""
    body = (
        "<p>Enter your user name. We will e-mail a link to choose a new password to the "
        "address on your health record.</p>"
        f'{_error(error)}<form method="post" action="forgot">'
        '<label for="username">User name</label>'
        '<input type="text" id="username" name="username" autocomplete="username" '
        "required autofocus>"
        '<button type="submit">Send reset link</button></form>'
    )
    return page("Forgot your password?", body)


def sent_page(lifetime_s: int) -> str:
    """The same answer whether or not the account exists (user names are not disclosed)."""
    body = (
        '<p role="status">If that account has an e-mail address, a link to choose a new '
        f"password is on its way. The link works once, within {lifetime_s // 60} minutes.</p>"
    )
    return page("Check your e-mail", body)


def reset_page(token: str, error: str | None = None) -> str:
    """Choose the new password (twice)."""
    body = (
        f'{_error(error)}<form method="post" action="reset">'
        f'<input type="hidden" name="token" value="{escape(token)}">'
        f'<p id="rules">{RULES}</p>'
        '<label for="password">New password</label>'
        '<input type="password" id="password" name="password" autocomplete="new-password" '
        'aria-describedby="rules" required autofocus>'
        '<label for="confirm">New password again</label>'
        '<input type="password" id="confirm" name="confirm" autocomplete="new-password" '
        "required>"
        '<button type="submit">Set password</button></form>'
    )
    return page("Choose a new password", body)


def done_page() -> str:
    """The password was changed."""
    body = '<p role="status">Your password has been changed. Sign in with it from the app.</p>'
    return page("Password changed", body)


def invalid_link_page() -> str:
    """A link that is unknown, used or expired."""
    body = (
        f"{_error('This link is not valid any more: it was used or it expired.')}"
        '<p><a href="forgot">Ask for a new link</a></p>'
    )
    return page("Cannot reset the password", body)
