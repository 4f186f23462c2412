"""The human-readable IG: one static HTML page per conformance resource, and an index.

Pages are plain HTML (no scripts): a profile's page is its snapshot as a table (element,
cardinality, types, binding, fixed or pattern value, constraints), with the differential's
elements marked; every page links back to the index and to its JSON.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from typing import Any

from profiles_ig.definitions import Definitions

_STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:2px 6px;vertical-align:top}tr.diff{background:#eef6ff}"
)


def page_name(resource: Mapping[str, Any]) -> str:
    """The file name of a resource's page (``StructureDefinition-nv-patient.html``)."""
    return f"{resource['resourceType']}-{resource['id']}.html"


def _page(title: str, body: str) -> str:
    # the empty icon: without one a browser asks for /favicon.ico, outside the site (a 404)
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><link rel='icon' href='data:,'><style>{_STYLE}</style></head>"
        "<body><p><a href='index.html'>Nutri-Vision IG</a>"
        f"</p><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )


def _cell(value: Any) -> str:
    return f"<td>{html.escape(str(value))}</td>"


def _types(element: Mapping[str, Any]) -> str:
    parts = []
    for type_ in element.get("type", []):
        targets = [t.rsplit("/", 1)[-1] for t in type_.get("targetProfile", [])]
        profiles = [p.rsplit("/", 1)[-1] for p in type_.get("profile", [])]
        extra = f"({' | '.join(targets)})" if targets else ""
        extra += f" [{', '.join(profiles)}]" if profiles else ""
        parts.append(str(type_["code"]).rsplit(".", 1)[-1] + extra)
    return ", ".join(parts)


def _fixed(element: Mapping[str, Any]) -> str:
    found = [
        f"{k}: {json.dumps(v)}" for k, v in element.items() if k.startswith(("fixed", "pattern"))
    ]
    return "; ".join(found)


def _row(element: Mapping[str, Any], in_differential: bool) -> str:
    binding = element.get("binding", {})
    bound = f"{binding.get('valueSet', '')} ({binding['strength']})" if binding else ""
    keys = ", ".join(c["key"] for c in element.get("constraint", []) if c["key"] != "ele-1")
    cells = [
        element["id"], f"{element.get('min', 0)}..{element.get('max', '*')}", _types(element),
        bound, _fixed(element), keys, element.get("short", ""),
    ]  # fmt: skip
    css = " class='diff'" if in_differential else ""
    return f"<tr{css}>" + "".join(_cell(c) for c in cells) + "</tr>"


def _profile_body(definition: Mapping[str, Any]) -> str:
    changed = {e["id"] for e in definition.get("differential", {}).get("element", [])}
    header = "".join(
        f"<th>{h}</th>"
        for h in ("Element", "Card.", "Type", "Binding", "Fixed / pattern", "Constraints", "Short")
    )
    rows = "".join(_row(e, e["id"] in changed) for e in definition["snapshot"]["element"])
    base = html.escape(str(definition.get("baseDefinition", "")))
    return (
        f"<p>{html.escape(str(definition.get('description', '')))}</p>"
        f"<p>Canonical: <code>{html.escape(definition['url'])}</code>; base: <code>{base}</code>."
        " Rows changed by this profile are shaded.</p>"
        f"<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>"
    )


def _resource_body(resource: Mapping[str, Any]) -> str:
    description = html.escape(str(resource.get("description", "")))
    concepts = "".join(
        f"<li><code>{html.escape(c['code'])}</code> {html.escape(c.get('display', ''))}</li>"
        for c in resource.get("concept", [])
    )
    listing = f"<ul>{concepts}</ul>" if concepts else ""
    text = html.escape(json.dumps(resource, indent=2))
    return f"<p>{description}</p>{listing}<pre>{text}</pre>"


def _title(resource: Mapping[str, Any]) -> str:
    return str(resource.get("title") or resource.get("name") or resource["id"])


def _index(resources: Iterable[Mapping[str, Any]]) -> str:
    items = "".join(
        f"<li><a href='{page_name(r)}'>{html.escape(_title(r))}</a> ({r['resourceType']})</li>"
        for r in resources
    )
    intro = (
        "<p>Profiles, extensions, terminology and operations of the Nutri-Vision FHIR server. "
        "NutritionIntake is a FHIR R5 resource served on the R4 endpoint and profiled on its R5 "
        "definition.</p>"
    )
    return _page("Nutri-Vision Implementation Guide", f"{intro}<ul>{items}</ul>")


def build_site(definitions: Definitions, extra: Iterable[Mapping[str, Any]] = ()) -> dict[str, str]:
    """Every page of the site by file name; ``extra``: more resources (OperationDefinitions)."""
    resources = [*definitions.guide, *extra]
    pages = {"index.html": _index(resources)}
    for resource in resources:
        title = _title(resource)
        if resource["resourceType"] == "StructureDefinition":
            body = _profile_body(resource)
        else:
            body = _resource_body(resource)
        pages[page_name(resource)] = _page(title, body)
    return pages
