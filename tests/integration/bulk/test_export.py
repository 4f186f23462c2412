"""Bulk Data ``$export`` as a bulk client drives it over HTTP: kick-off, poll, download, parse.

Counts are compared with searches on the same server and with a scan of the loaded Synthea
resources (https://hl7.org/fhir/uv/bulkdata/STU2/export.html).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.bulk.conftest import Resource, wait_for

pytestmark = pytest.mark.integration

ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}


def kick_off(client: httpx.Client, url: str, **kwargs: Any) -> str:
    """Start an export; the status URL."""
    if "json" in kwargs:
        response = client.post(url, headers=ASYNC, **kwargs)
    else:
        response = client.get(url, headers=ASYNC, **kwargs)
    assert response.status_code == 202, response.text
    return response.headers["Content-Location"]


def manifest_of(client: httpx.Client, status_url: str) -> dict[str, Any]:
    """Wait for the export and return its manifest."""
    response = wait_for(client, status_url)
    assert response.status_code == 200, response.text
    manifest: dict[str, Any] = response.json()
    return manifest


def download(client: httpx.Client, manifest: dict[str, Any]) -> dict[str, list[Resource]]:
    """Every output file, parsed line by line, by type."""
    files: dict[str, list[Resource]] = {}
    for output in manifest["output"]:
        response = client.get(output["url"], headers={"Accept": "application/fhir+ndjson"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/fhir+ndjson")
        lines = [json.loads(line) for line in response.text.splitlines()]
        assert len(lines) == output["count"]
        assert all(r["resourceType"] == output["type"] for r in lines)
        files[output["type"]] = lines
    return files


def search_total(client: httpx.Client, query: str) -> int:
    """``total`` of a search with ``_summary=count``."""
    separator = "&" if "?" in query else "?"
    response = client.get(f"/{query}{separator}_summary=count")
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


def patient_of(synthea: dict[str, Resource], n: int = 0) -> str:
    """The id of the n-th loaded Synthea patient."""
    return sorted(str(r["id"]) for r in synthea.values() if r["resourceType"] == "Patient")[n]


def test_system_export_matches_searches(bulk: httpx.Client, synthea: dict[str, Resource]) -> None:
    status = kick_off(bulk, "/$export?_type=Patient,Observation,Encounter,Condition")
    manifest = manifest_of(bulk, status)
    assert manifest["request"].endswith(
        "/$export?_type=Patient%2CObservation%2CEncounter%2CCondition"
    )
    assert manifest["requiresAccessToken"] is False
    assert manifest["transactionTime"].endswith(("Z", "+00:00"))
    assert manifest["error"] == []
    files = download(bulk, manifest)
    assert set(files) == {"Patient", "Observation", "Encounter", "Condition"}
    for resource_type, lines in files.items():
        assert len(lines) == search_total(bulk, resource_type)
        assert len({r["id"] for r in lines}) == len(lines)
    loaded = Counter(k.split("/")[0] for k in synthea)
    assert len(files["Observation"]) >= loaded["Observation"]
    some = next(k for k in synthea if k.startswith("Observation/"))
    exported = {r["id"]: r for r in files["Observation"]}[some.split("/")[1]]
    assert exported["code"] == synthea[some]["code"]


def test_group_export_is_the_members_compartment(
    bulk: httpx.Client, synthea: dict[str, Resource]
) -> None:
    patient = patient_of(synthea)
    group = {
        "resourceType": "Group",
        "type": "person",
        "actual": True,
        "member": [{"entity": {"reference": f"Patient/{patient}"}}],
    }
    created = bulk.post("/Group", json=group)
    assert created.status_code == 201
    group_id = created.json()["id"]
    status = kick_off(bulk, f"/Group/{group_id}/$export?_type=Patient,Observation,Encounter")
    files = download(bulk, manifest_of(bulk, status))
    assert [r["id"] for r in files["Patient"]] == [patient]
    expected = {
        k.split("/")[1]
        for k, r in synthea.items()
        if r["resourceType"] == "Observation" and r["subject"]["reference"] == f"Patient/{patient}"
    }
    assert {r["id"] for r in files["Observation"]} == expected
    encounters = {r["id"] for r in files["Encounter"]}
    assert encounters == {
        k.split("/")[1]
        for k, r in synthea.items()
        if k.startswith("Encounter/") and r["subject"]["reference"] == f"Patient/{patient}"
    }


def test_patient_export_by_post_with_patient_and_type_filter(
    bulk: httpx.Client, synthea: dict[str, Resource]
) -> None:
    patient = patient_of(synthea, 1)
    observations = [
        r
        for r in synthea.values()
        if r["resourceType"] == "Observation" and r["subject"]["reference"] == f"Patient/{patient}"
    ]
    code = Counter(r["code"]["coding"][0]["code"] for r in observations).most_common(1)[0][0]
    parameters = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "_type", "valueString": "Observation"},
            {"name": "_typeFilter", "valueString": f"Observation?code={code}"},
            {"name": "patient", "valueReference": {"reference": f"Patient/{patient}"}},
            {"name": "_outputFormat", "valueString": "ndjson"},
        ],
    }
    status = kick_off(bulk, "/Patient/$export", json=parameters)
    files = download(bulk, manifest_of(bulk, status))
    expected = {r["id"] for r in observations if r["code"]["coding"][0]["code"] == code}
    assert {r["id"] for r in files["Observation"]} == expected
    assert set(files) == {"Observation"}


def test_since_lists_deleted_resources(bulk: httpx.Client) -> None:
    marker = uuid.uuid4().hex
    created = bulk.post("/Basic", json={"resourceType": "Basic", "code": {"text": marker}})
    gone = bulk.post("/Basic", json={"resourceType": "Basic", "code": {"text": marker}})
    since = created.json()["meta"]["lastUpdated"]
    assert bulk.delete(f"/Basic/{gone.json()['id']}").status_code in (200, 204)
    status = kick_off(bulk, "/$export", params={"_type": "Basic", "_since": since})
    manifest = manifest_of(bulk, status)
    files = download(bulk, manifest)
    assert created.json()["id"] in {r["id"] for r in files["Basic"]}
    assert gone.json()["id"] not in {r["id"] for r in files["Basic"]}
    (deleted,) = manifest["deleted"]
    response = bulk.get(deleted["url"])
    bundles = [json.loads(line) for line in response.text.splitlines()]
    requests = [e["request"] for b in bundles for e in b["entry"]]
    assert {"method": "DELETE", "url": f"Basic/{gone.json()['id']}"} in requests
    assert all(b["type"] == "transaction" for b in bundles)


def _deleted_urls(bulk: httpx.Client, manifest: dict[str, Any]) -> set[str]:
    urls: set[str] = set()
    for listed in manifest["deleted"]:
        for line in bulk.get(listed["url"]).text.splitlines():
            urls |= {e["request"]["url"] for e in json.loads(line)["entry"]}
    return urls


def test_patient_level_since_lists_the_patients_deleted_resources(bulk: httpx.Client) -> None:
    """A patient-level export lists the deleted resources that belonged to its patients (by
    their last version), and not another patient's."""
    mine, theirs = (bulk.post("/Patient", json={"resourceType": "Patient"}).json() for _ in "ab")
    since = mine["meta"]["lastUpdated"]

    def observation(patient: dict[str, Any]) -> str:
        body = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "weight"},
            "subject": {"reference": f"Patient/{patient['id']}"},
        }
        created = bulk.post("/Observation", json=body)
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    gone_mine, gone_theirs, kept = observation(mine), observation(theirs), observation(mine)
    for id_ in (gone_mine, gone_theirs):
        assert bulk.delete(f"/Observation/{id_}").status_code in (200, 204)
    assert bulk.delete(f"/Patient/{theirs['id']}").status_code in (200, 204)
    parameters = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "_type", "valueString": "Observation,Patient"},
            {"name": "_since", "valueInstant": since},
            {"name": "patient", "valueReference": {"reference": f"Patient/{mine['id']}"}},
        ],
    }
    manifest = manifest_of(bulk, kick_off(bulk, "/Patient/$export", json=parameters))
    assert kept in {r["id"] for r in download(bulk, manifest)["Observation"]}
    assert _deleted_urls(bulk, manifest) == {f"Observation/{gone_mine}"}
    everyone = kick_off(
        bulk, "/Patient/$export", params={"_type": "Observation,Patient", "_since": since}
    )
    listed = _deleted_urls(bulk, manifest_of(bulk, everyone))
    expected = {f"Observation/{gone_mine}", f"Observation/{gone_theirs}", f"Patient/{theirs['id']}"}
    assert expected <= listed


@pytest.mark.parametrize(
    ("url", "headers", "code"),
    [
        ("/$export", {}, "NV-0502"),
        ("/$export?_outputFormat=text/csv", ASYNC, "NV-0503"),
        ("/$export?_type=Nope", ASYNC, "NV-0504"),
        ("/$export?_type=Observation&_typeFilter=Patient?name=x", ASYNC, "NV-0505"),
        ("/$export?_typeFilter=Observation?nope=x", ASYNC, "NV-0024"),
        ("/$export?includeAssociatedData=LatestProvenanceResources", ASYNC, "NV-0506"),
        ("/Group/nope/$export", ASYNC, "NV-0012"),
    ],
)
def test_bad_kick_offs(bulk: httpx.Client, url: str, headers: dict[str, str], code: str) -> None:
    response = bulk.get(url, headers=headers)
    assert response.status_code in (400, 404)
    assert code in response.text


def test_cancel_deletes_the_files(
    bulk: httpx.Client, bulk_dir: Path, synthea: dict[str, Resource]
) -> None:
    assert any(key.startswith("Observation/") for key in synthea)  # a file to delete
    status = kick_off(bulk, "/$export?_type=Observation")
    manifest = manifest_of(bulk, status)
    url = manifest["output"][0]["url"]
    folders_before = set((bulk_dir / "bulk").iterdir())
    assert bulk.delete(status).status_code == 202
    assert bulk.get(status).status_code == 404
    assert bulk.get(url).status_code == 404
    assert bulk.delete(status).status_code == 404
    assert len(set((bulk_dir / "bulk").iterdir())) == len(folders_before) - 1


def test_unknown_status_and_file(bulk: httpx.Client) -> None:
    assert bulk.get("/_bulk-status/nope").status_code == 404
    status = kick_off(bulk, "/$export?_type=Patient")
    manifest_of(bulk, status)
    job = status.rsplit("/", 1)[1]
    assert bulk.get(f"/_bulk-files/{job}/Observation.ndjson").status_code == 404
    assert bulk.get(f"/_bulk-files/{job}/..%2Fx.ndjson").status_code == 404


def test_elements_cut_the_named_types_only(
    bulk: httpx.Client, synthea: dict[str, Resource]
) -> None:
    status = kick_off(bulk, "/$export?_type=Patient,Encounter&_elements=Patient.gender")
    files = download(bulk, manifest_of(bulk, status))
    for patient in files["Patient"]:
        assert set(patient) <= {"resourceType", "id", "meta", "gender"}
        assert {"code": "SUBSETTED"}.items() <= patient["meta"]["tag"][-1].items()
    some = next(k for k in synthea if k.startswith("Encounter/"))
    whole = {r["id"]: r for r in files["Encounter"]}[some.split("/")[1]]
    assert whole["class"] == synthea[some]["class"]
    bad = bulk.get("/$export?_elements=no-such!", headers=ASYNC)
    assert bad.status_code == 400
