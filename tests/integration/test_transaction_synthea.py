"""A Synthea patient bundle (tests/fixtures/synthea/) loaded as one transaction.

Its entries are POSTs with ``urn:uuid:`` fullUrls that reference each other; after the load,
every reference of every stored resource must name a stored resource.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from resources.bundle_references import references
from tests.conftest import TEST_BODY_LIMIT
from tests.integration.bundle_http import post_bundle, reference_of
from tests.integration.fhir_http import entries_of, unique_system
from tests.synthea import bundle_paths, read_bundle

pytestmark = pytest.mark.integration


def _isolated(resource: dict[str, Any], system: str) -> dict[str, Any]:
    """The resource under a tag and identifier system of its own, so that the Synthea search
    tests (restricted by the Synthea tag and identifiers) do not see this copy."""
    copied = dict(resource)
    copied["meta"] = {"tag": [{"system": system, "code": "transaction-load"}]}
    if isinstance(copied.get("identifier"), list):
        copied["identifier"] = [{**item, "system": system} for item in copied["identifier"]]
    return copied


# The two bundles under the tests' 256 KiB body limit; the second shows the warm rate (the
# first request also pays for building the validation models).
SMALL_BUNDLES = [p for p in bundle_paths() if p.stat().st_size < TEST_BODY_LIMIT]


@pytest.mark.parametrize("path", SMALL_BUNDLES, ids=[p.name[:12] for p in SMALL_BUNDLES])
def test_synthea_bundle_loads_as_one_transaction(client: httpx.Client, path: Path) -> None:
    system = unique_system()
    synthea = read_bundle(path)
    for entry in synthea["entry"]:
        entry["resource"] = _isolated(entry["resource"], system)
    started = time.perf_counter()
    answer = post_bundle(client, synthea, Prefer="return=minimal")
    seconds = time.perf_counter() - started
    count = len(synthea["entry"])
    print(f"\n{path.name}: {count} resources in {seconds:.3f} s, {count / seconds:.0f}/s")
    assert all(e["response"]["status"] == "201 Created" for e in answer["entry"])
    stored_refs = {reference_of(e) for e in answer["entry"]}
    assert len(stored_refs) == count
    checked = 0
    for reference in sorted(stored_refs):
        resource = client.get(f"/{reference}").json()
        for value in references(resource):
            if value.startswith("#"):
                continue
            assert value in stored_refs, f"{reference} references {value}"
            checked += 1
    assert checked > count
    tagged = client.get("/Patient", params={"_tag": f"{system}|transaction-load"}).json()
    assert len(entries_of(tagged, "match")) == 1
