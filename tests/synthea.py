"""Load Synthea R4 transaction bundles (``tests/fixtures/synthea/``) into a server by plain PUTs.

The search tests need ids equal to the bundles' urn:uuids, which a transaction (server-assigned
ids; tested in ``integration/test_transaction_synthea.py``) does not give, so the loader does
the part of a transaction that matters here by itself: every ``urn:uuid:X`` reference
(anywhere in a resource, nested, contained or in extensions) becomes ``Type/X``, and each
resource is PUT to ``Type/X`` with its own id (update-as-create). Repeated Organizations and
Practitioners are PUT again, harmlessly.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

Resource = dict[str, Any]

SYNTHEA_DIR = Path(__file__).parent / "fixtures" / "synthea"
SYNTHEA_TAG_SYSTEM = "https://smarthealthit.org/tags"
SYNTHEA_TAG_CODE = "synthea-5-2019"
SYNTHEA_TAG = f"{SYNTHEA_TAG_SYSTEM}|{SYNTHEA_TAG_CODE}"
URN_UUID = "urn:uuid:"
FHIR_JSON = "application/fhir+json"


@dataclass(frozen=True)
class Loaded:
    """What a load put on the server: the resources as sent, with the server's meta."""

    resources: list[Resource]
    seconds: float
    requests: int


def bundle_paths() -> list[Path]:
    """The copied Synthea bundles, sorted by file name."""
    return sorted(SYNTHEA_DIR.glob("*.json"))


def read_bundle(path: Path) -> Resource:
    """One transaction bundle as parsed JSON."""
    bundle: Resource = json.loads(path.read_text(encoding="utf-8"))
    return bundle


def uuid_types(bundle: Resource) -> dict[str, str]:
    """``urn:uuid:X`` fullUrl -> resource type, for every entry of ``bundle``."""
    types: dict[str, str] = {}
    for entry in bundle.get("entry", []):
        full_url = entry["fullUrl"]
        if not full_url.startswith(URN_UUID):
            raise ValueError(f"fullUrl {full_url!r} is not a urn:uuid")
        types[full_url] = entry["resource"]["resourceType"]
    return types


def rewrite_references(node: Any, types: dict[str, str]) -> Any:
    """A copy of ``node`` with each ``reference: urn:uuid:X`` replaced by ``Type/X``."""
    if isinstance(node, list):
        return [rewrite_references(item, types) for item in node]
    if not isinstance(node, dict):
        return node
    copied = {key: rewrite_references(value, types) for key, value in node.items()}
    reference = copied.get("reference")
    if isinstance(reference, str) and reference.startswith(URN_UUID):
        if reference not in types:
            raise ValueError(f"reference {reference!r} names no entry of the bundle")
        copied["reference"] = f"{types[reference]}/{reference[len(URN_UUID) :]}"
    return copied


def bundle_resources(bundle: Resource) -> list[Resource]:
    """The entries' resources, references rewritten, ids equal to their urn:uuid."""
    types = uuid_types(bundle)
    resources: list[Resource] = []
    for entry in bundle.get("entry", []):
        resource: Resource = rewrite_references(entry["resource"], types)
        resource["id"] = entry["fullUrl"][len(URN_UUID) :]
        resources.append(resource)
    return resources


def synthea_resources(paths: Iterable[Path] | None = None) -> list[Resource]:
    """Every resource of the bundles, rewritten, once per ``Type/id`` (the last one wins)."""
    by_key: dict[str, Resource] = {}
    for path in bundle_paths() if paths is None else paths:
        for resource in bundle_resources(read_bundle(path)):
            by_key[f"{resource['resourceType']}/{resource['id']}"] = resource
    return list(by_key.values())


def put_resource(client: httpx.Client, resource: Resource) -> Resource:
    """PUT ``resource`` to its own id; the sent resource with the server's versionId and
    lastUpdated (the rest of the stored copy is not trusted, so a scan stays independent)."""
    url = f"/{resource['resourceType']}/{resource['id']}"
    headers = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON, "Prefer": "return=representation"}
    response = client.put(url, json=resource, headers=headers)
    if response.status_code not in (200, 201):
        raise AssertionError(f"PUT {url} -> {response.status_code}: {response.text[:500]}")
    stored: Resource = response.json()
    loaded = copy.deepcopy(resource)
    server_meta = stored.get("meta", {})
    meta = dict(loaded.get("meta", {}))
    for key in ("versionId", "lastUpdated"):
        if key in server_meta:
            meta[key] = server_meta[key]
    loaded["meta"] = meta
    return loaded


def load_synthea(client: httpx.Client, paths: Iterable[Path] | None = None) -> Loaded:
    """PUT every resource of the bundles (bundle by bundle, in entry order)."""
    started = time.perf_counter()
    by_key: dict[str, Resource] = {}
    requests = 0
    for path in bundle_paths() if paths is None else paths:
        for resource in bundle_resources(read_bundle(path)):
            by_key[f"{resource['resourceType']}/{resource['id']}"] = put_resource(client, resource)
            requests += 1
    return Loaded(list(by_key.values()), time.perf_counter() - started, requests)
