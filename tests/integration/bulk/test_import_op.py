"""``$import`` over HTTP (upload and by URL), and the Bulk Data round trip: export everything
of some types, import the NDJSON into a fresh database, compare both sides."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from fhir_server.embedded import ServiceUrls
from fhir_server.settings import Settings
from tests.integration.bulk.conftest import Resource, wait_for
from tests.servers import fresh_database, running_server

pytestmark = pytest.mark.integration

ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}
NDJSON = "application/fhir+ndjson"


def finished(client: httpx.Client, response: httpx.Response) -> dict[str, Any]:
    """The manifest of an accepted request."""
    assert response.status_code == 202, response.text
    done = wait_for(client, response.headers["Content-Location"])
    assert done.status_code == 200, done.text
    manifest: dict[str, Any] = done.json()
    return manifest


def outcomes(client: httpx.Client, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The OperationOutcomes of the manifest's error files."""
    found = []
    for item in manifest["error"]:
        text = client.get(item["url"]).text
        found += [json.loads(line) for line in text.splitlines()]
    return found


def test_upload_loads_good_lines_and_reports_bad_ones(bulk: httpx.Client) -> None:
    lines = [json.dumps({"resourceType": "Patient", "id": f"imp-{n}"}) for n in range(5)]
    lines.insert(2, json.dumps({"resourceType": "Patient", "id": "imp-bad", "gender": 7}))
    lines.insert(4, "not json")
    body = ("\n".join(lines) + "\n").encode()
    headers = {**ASYNC, "Content-Type": NDJSON}
    manifest = finished(bulk, bulk.post("/$import", content=body, headers=headers))
    assert [o["count"] for o in manifest["output"]] == [5]
    refused = outcomes(bulk, manifest)
    assert len(refused) == 2
    diagnostics = [o["issue"][0]["diagnostics"] for o in refused]
    assert diagnostics[0].startswith("upload line 3:")
    assert diagnostics[1].startswith("upload line 5:")
    for n in range(5):
        assert bulk.get(f"/Patient/imp-{n}").status_code == 200
    assert bulk.get("/Patient/imp-bad").status_code == 404


def test_import_by_url_checks_the_type(bulk: httpx.Client, bulk_dir: Path) -> None:
    folder = bulk_dir / "import"
    folder.mkdir(exist_ok=True)
    rows = [{"resourceType": "Basic", "id": f"url-{n}", "code": {"text": "x"}} for n in range(3)]
    rows.append({"resourceType": "Patient", "id": "not-basic"})
    (folder / "basic.ndjson").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    parameters = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "inputFormat", "valueCode": NDJSON},
            {
                "name": "input",
                "part": [
                    {"name": "type", "valueCode": "Basic"},
                    {"name": "url", "valueUri": "basic.ndjson"},
                ],
            },
        ],
    }
    manifest = finished(bulk, bulk.post("/$import", json=parameters, headers=ASYNC))
    assert manifest["output"] == [{"type": "Basic", "inputUrl": "basic.ndjson", "count": 3}]
    (refused,) = outcomes(bulk, manifest)
    assert "line 4" in refused["issue"][0]["diagnostics"]
    assert bulk.get("/Patient/not-basic").status_code == 404


@pytest.mark.parametrize(
    ("url", "headers"),
    [("../../etc/passwd", ASYNC), ("missing.ndjson", ASYNC), ("basic.ndjson", {})],
)
def test_bad_imports(bulk: httpx.Client, url: str, headers: dict[str, str]) -> None:
    parameters = {
        "resourceType": "Parameters",
        "parameter": [{"name": "input", "part": [{"name": "url", "valueUri": url}]}],
    }
    response = bulk.post("/$import", json=parameters, headers=headers)
    assert response.status_code == 400
    assert ("NV-0512" if headers else "NV-0502") in response.text


def without_meta(resource: Resource) -> Resource:
    """The resource apart from ``meta``."""
    return {k: v for k, v in resource.items() if k != "meta"}


def exported(client: httpx.Client, types: str) -> dict[str, dict[str, Resource]]:
    """An export of ``types``: per type, resources by id."""
    response = client.get(f"/$export?_type={types}", headers=ASYNC)
    manifest = finished(client, response)
    files: dict[str, dict[str, Resource]] = {}
    for output in manifest["output"]:
        lines = [json.loads(line) for line in client.get(output["url"]).text.splitlines()]
        files[output["type"]] = {r["id"]: r for r in lines}
    return files


def test_round_trip_into_a_fresh_database(
    bulk: httpx.Client, synthea: dict[str, Resource], services: ServiceUrls, tmp_path: Path
) -> None:
    types = "Patient,Encounter,Observation,Condition,Organization,Practitioner"
    source = exported(bulk, types)
    assert sum(len(v) for v in source.values()) >= len(synthea) // 2
    import_folder = tmp_path / "import"
    import_folder.mkdir()
    inputs = []
    for resource_type, resources in source.items():
        lines = "\n".join(json.dumps(r) for r in resources.values()) + "\n"
        (import_folder / f"{resource_type}.ndjson").write_text(lines)
        part = [
            {"name": "type", "valueCode": resource_type},
            {"name": "url", "valueUri": f"{resource_type}.ndjson"},
        ]
        inputs.append({"name": "input", "part": part})
    with fresh_database(services.database_url) as database_url:
        urls = ServiceUrls(database_url, services.redis_url)
        settings = Settings(data_dir=tmp_path, jobs_poll_seconds=0.1, auth_required=False)
        with (
            running_server(urls, settings) as base,
            httpx.Client(base_url=base, timeout=60) as fresh,
        ):
            body = {"resourceType": "Parameters", "parameter": inputs}
            manifest = finished(fresh, fresh.post("/$import", json=body, headers=ASYNC))
            assert manifest["error"] == [], outcomes(fresh, manifest)
            target = exported(fresh, types)
    assert {t: len(r) for t, r in target.items()} == {t: len(r) for t, r in source.items()}
    for resource_type, resources in source.items():
        for id_, resource in resources.items():
            assert without_meta(target[resource_type][id_]) == without_meta(resource)
