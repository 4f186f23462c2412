"""The static IG site: a page per resource, each profile's elements as a table, no broken link."""

from __future__ import annotations

from html.parser import HTMLParser

from profiles_ig.definitions import default_definitions
from profiles_ig.site import build_site


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.links += [value for name, value in attrs if name == "href" and value]


def _parse(text: str) -> _Links:
    parser = _Links()
    parser.feed(text)
    parser.close()
    return parser


def test_every_guide_resource_has_a_page_and_every_link_resolves() -> None:
    definitions = default_definitions()
    pages = build_site(definitions)
    assert len(pages) == len(definitions.guide) + 1
    for name, text in pages.items():
        links = [link for link in _parse(text).links if not link.startswith("data:")]
        assert links, name
        assert all(link in pages for link in links), (name, links)


def test_a_profile_page_tables_its_snapshot_elements() -> None:
    pages = build_site(default_definitions())
    page = pages["StructureDefinition-nv-observation-lab.html"]
    assert _parse(page).tags.count("tr") > 50
    assert "Observation.code.coding:loinc.system" in page
    assert "http://loinc.org" in page
