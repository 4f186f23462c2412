"""The published IG site (``nutrivision ig build``, served under ``/ig/``) in headless Chromium:
every page loads with 200 and no console error, and no link or asset is broken. The link
checker itself is shown to catch a dead link and a script error on a site made for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Route

from fhir_server.ig_cli import build
from fhir_server.settings import Settings
from profiles_ig.definitions import default_definitions
from tests.browser.conftest import launched_chromium, off_loop, open_context
from tests.browser.site_crawl import crawl

pytestmark = pytest.mark.integration

FAKE_ROOT = "http://site.test/ig/"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, as the other browser tests launch it (no auth server)."""
    with launched_chromium() as launched:
        yield launched


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile."""
    opened = open_context(browser)
    try:
        yield opened
    finally:
        opened.close()


def _build_site(settings: Settings) -> None:
    build(out=Path(settings.data_dir) / "ig-site")


def test_every_page_of_the_ig_site_loads_without_errors_or_broken_links(
    base_url: str, settings: Settings, context: BrowserContext
) -> None:
    off_loop(_build_site, settings)
    report = crawl(context, base_url.removesuffix("/fhir") + "/ig/")
    assert report.broken == []
    assert report.console_errors == []
    assert report.external == []
    # the index and one page per guide resource and per operation definition
    assert len(report.pages) > len(default_definitions().guide)


def _serve(pages: dict[str, str]) -> object:
    def handle(route: Route) -> None:
        name = route.request.url.removeprefix(FAKE_ROOT) or "index.html"
        if name in pages:
            route.fulfill(status=200, content_type="text/html", body=pages[name])
        else:
            route.fulfill(status=404, content_type="text/html", body="<p>not found</p>")

    return handle


def _html(body: str) -> str:
    return f"<!DOCTYPE html><html lang='en'><head><title>t</title></head><body>{body}</body></html>"


def test_the_checker_reports_a_dead_link_and_a_script_error(context: BrowserContext) -> None:
    pages = {
        "index.html": _html("<a href='a.html'>a</a> <a href='gone.html'>gone</a>"),
        "a.html": _html("<a href='index.html#top'>home</a><script>undefinedCall()</script>"),
    }
    context.route(FAKE_ROOT + "**", _serve(pages))  # type: ignore[arg-type]
    report = crawl(context, FAKE_ROOT)
    # reported from the root and from index.html (the same page under its two URLs)
    assert report.broken == [
        (FAKE_ROOT, f"{FAKE_ROOT}gone.html answered 404"),
        (f"{FAKE_ROOT}index.html", f"{FAKE_ROOT}gone.html answered 404"),
    ]
    assert [(page, "undefinedCall" in text) for page, text in report.console_errors] == [
        (f"{FAKE_ROOT}a.html", True)
    ]
    assert report.pages == [FAKE_ROOT, f"{FAKE_ROOT}a.html", f"{FAKE_ROOT}index.html"]


def test_the_checker_passes_a_clean_site(context: BrowserContext) -> None:
    pages = {"index.html": _html("<a href='a.html'>a</a>"), "a.html": _html("<p>fine</p>")}
    context.route(FAKE_ROOT + "**", _serve(pages))  # type: ignore[arg-type]
    report = crawl(context, FAKE_ROOT)
    assert (report.broken, report.console_errors, len(report.pages)) == ([], [], 2)
