"""``nutrivision ig build`` writes the site the server serves under /ig/."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from fhir_server.settings import Settings
from resources import error_codes
from tests.integration.fhir_http import assert_outcome

pytestmark = pytest.mark.integration


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs += [
            value
            for name, value in attrs
            if name == "href" and value and not value.startswith("data:")  # inline, no request
        ]


def _site_root(base_url: str) -> str:
    return base_url.removesuffix("/fhir") + "/ig/"


def test_the_built_site_is_served_and_every_link_loads(base_url: str, settings: Settings) -> None:
    out = Path(settings.data_dir) / "ig-site"
    command = [sys.executable, "-m", "fhir_server", "ig", "build", "--out", str(out)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    root = _site_root(base_url)
    with httpx.Client(timeout=30) as http:
        index = http.get(root)
        assert index.status_code == 200
        assert "text/html" in index.headers["content-type"]
        parser = _Hrefs()
        parser.feed(index.text)
        assert len(parser.hrefs) > 20
        for href in set(parser.hrefs):
            page = http.get(root + href)
            assert page.status_code == 200, href
            inner = _Hrefs()
            inner.feed(page.text)
            for link in inner.hrefs:
                assert http.get(root + link).status_code == 200, (href, link)


def test_a_missing_page_or_a_path_outside_the_site_is_404(
    client: httpx.Client, base_url: str
) -> None:
    root = _site_root(base_url)
    assert_outcome(client.get(root + "no-such-page.html"), 404, error_codes.IG_RESOURCE_NOT_FOUND)
    for path in ("../pyproject.toml", "%2e%2e/setup.cfg", "..%2fsetup.cfg"):
        assert client.get(root + path).status_code == 404, path
