"""Drive the authorization pages as a browser without JavaScript would: read each page's
form (action, hidden fields, ticked boxes) and post it back with what the user types."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import httpx

from smart_auth import pkce


@dataclass
class Form:
    """One HTML form: where it posts and the fields a browser would send."""

    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    checkboxes: list[tuple[str, str, bool]] = field(default_factory=list)
    radios: list[tuple[str, str]] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", "")))
        elif tag == "input" and self.forms:
            form, kind, name = self.forms[-1], a.get("type", "text"), a.get("name", "")
            if kind == "hidden":
                form.fields.append((name, a.get("value", "")))
            elif kind == "checkbox":
                form.checkboxes.append((name, a.get("value", ""), "checked" in a))
            elif kind == "radio":
                form.radios.append((name, a.get("value", "")))


def read_form(page: httpx.Response) -> Form:
    """The page's (only) form."""
    parser = _FormParser()
    parser.feed(page.text)
    assert len(parser.forms) == 1, page.text
    return parser.forms[0]


@dataclass
class Browser:
    """A user agent that does not follow redirects, so the test sees the code redirect."""

    http: httpx.Client

    def open(self, url: str, params: dict[str, str]) -> httpx.Response:
        """GET the authorization endpoint."""
        return self.http.get(url, params=params)

    def submit(
        self,
        page: httpx.Response,
        typed: dict[str, str] | None = None,
        untick: tuple[str, ...] = (),
        button: tuple[str, str] | None = None,
    ) -> httpx.Response:
        """Post the page's form with ``typed`` values, unticking the named boxes' values."""
        form = read_form(page)
        data: list[tuple[str, str]] = list(form.fields)
        data += [(n, v) for n, v, on in form.checkboxes if on and v not in untick]
        data += list((typed or {}).items())
        if button:
            data.append(button)
        url = urljoin(str(page.url), form.action)
        return self.http.post(url, content=urlencode(data), headers=_FORM)


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass
class LaunchRequest:
    """The parameters of an authorization request, and the PKCE verifier behind them."""

    client_id: str
    redirect_uri: str
    scope: str
    aud: str
    launch: str | None = None
    verifier: str = field(default_factory=lambda: uuid.uuid4().hex + uuid.uuid4().hex)
    state: str = field(default_factory=lambda: uuid.uuid4().hex)
    nonce: str = field(default_factory=lambda: uuid.uuid4().hex)

    def params(self, pkce_on: bool = True) -> dict[str, str]:
        """The query of the authorization request."""
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": self.state,
            "aud": self.aud,
            "nonce": self.nonce,
        }
        if pkce_on:
            params.update(code_challenge=pkce.s256(self.verifier), code_challenge_method="S256")
        if self.launch:
            params["launch"] = self.launch
        return params


def redirect_query(response: httpx.Response) -> dict[str, str]:
    """The query parameters of a redirect's Location."""
    assert response.status_code in (302, 303), response.text
    query = parse_qs(urlparse(response.headers["location"]).query)
    return {k: v[0] for k, v in query.items()}
