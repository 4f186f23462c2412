"""A link checker for static sites, in a real browser: every page under a root URL is loaded in
Chromium, its console errors and uncaught exceptions recorded, and every ``<a href>`` and asset
(stylesheets, scripts, images, frames) it names is fetched; pages under the root are crawled."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urldefrag

from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Page

_REFERENCES = """() => [
  ...[...document.querySelectorAll('a[href]')].map(e => e.href),
  ...[...document.querySelectorAll('link[href]')].map(e => e.href),
  ...[...document.querySelectorAll('img[src], script[src], iframe[src], source[src]')]
      .map(e => e.src),
]"""


@dataclass
class CrawlReport:
    """What the crawl found: pages loaded, and every problem as ``(page, what)``."""

    pages: list[str] = field(default_factory=list)
    broken: list[tuple[str, str]] = field(default_factory=list)
    """``(page, url and status)`` of a link or asset that did not answer 200."""
    console_errors: list[tuple[str, str]] = field(default_factory=list)
    external: list[tuple[str, str]] = field(default_factory=list)
    """Links outside the root: reported, not followed (tests have no network)."""


def _status(checker: Page, url: str) -> int | str:
    try:
        response = checker.goto(url, wait_until="load")
    except Error as error:  # a refused connection, a bad scheme
        return error.message.splitlines()[0]
    return response.status if response is not None else "no response"


def _load(page: Page, url: str, report: CrawlReport) -> list[str]:
    """Load one page; its console errors go to the report; return the URLs it references."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    def on_error(error: Error) -> None:
        errors.append(str(error))

    page.on("console", on_console)
    page.on("pageerror", on_error)
    try:
        response = page.goto(url, wait_until="load")
        status = response.status if response is not None else 0
        if status != 200:
            report.broken.append((url, f"{url} answered {status}"))
            return []
        references: list[str] = page.evaluate(_REFERENCES)
    finally:
        page.remove_listener("console", on_console)
        page.remove_listener("pageerror", on_error)
    report.console_errors += [(url, text) for text in errors]
    return [urldefrag(reference).url for reference in references]


def crawl(context: BrowserContext, root: str) -> CrawlReport:
    """Crawl every page reachable from ``root`` (a URL ending in ``/``) in one browser context."""
    report = CrawlReport()
    page, checker = context.new_page(), context.new_page()
    queue, seen = deque([root]), {root}
    checked: dict[str, int | str] = {root: 200}
    while queue:
        url = queue.popleft()
        report.pages.append(url)
        for reference in _load(page, url, report):
            if reference.startswith("data:"):
                continue  # inline content, nothing to fetch
            if not reference.startswith(root):
                report.external.append((url, reference))
                continue
            if reference not in checked:
                checked[reference] = _status(checker, reference)
            if checked[reference] != 200:
                report.broken.append((url, f"{reference} answered {checked[reference]}"))
            elif reference.endswith((".html", "/")) and reference not in seen:
                seen.add(reference)
                queue.append(reference)
    page.close()
    checker.close()
    return report
