"""``Patient/$everything`` and ``Encounter/$everything`` over a Synthea patient, checked
against an independent scan of the loaded resources.

The scan (written from the operation's text, not from the server's code): a member of the
patient's record is any loaded resource holding a reference to ``Patient/[id]``; the referenced
Medication, Practitioner, Organization and Location resources come with it. Synthea puts every
such reference on an element that the Patient CompartmentDefinition names, so the two agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.synthea import bundle_paths, load_synthea

pytestmark = pytest.mark.integration

Resource = dict[str, Any]
REFERENCED = {"Medication", "Practitioner", "Organization", "Location"}


def references(node: Any) -> Iterator[str]:
    """Every ``reference`` value anywhere in ``node``."""
    if isinstance(node, list):
        for item in node:
            yield from references(item)
    elif isinstance(node, dict):
        value = node.get("reference")
        if isinstance(value, str):
            yield value
        for item in node.values():
            yield from references(item)


def key(resource: Resource) -> str:
    """``Type/id``."""
    return f"{resource['resourceType']}/{resource['id']}"


@pytest.fixture(scope="module")
def loaded(base_url: str) -> dict[str, Resource]:
    """The first Synthea bundle, loaded by PUT, by ``Type/id``."""
    with httpx.Client(base_url=base_url, timeout=60) as http:
        done = load_synthea(http, bundle_paths()[:1])
    return {key(r): r for r in done.resources}


def patient_of(loaded: dict[str, Resource]) -> str:
    """The id of the bundle's patient."""
    return str(next(r["id"] for r in loaded.values() if r["resourceType"] == "Patient"))


def scan(loaded: dict[str, Resource], owner: str, types: set[str] | None = None) -> set[str]:
    """The record of ``owner`` by the scan: the owner, members, their referenced resources."""
    members = {k for k, r in loaded.items() if owner in set(references(r)) and k != owner}
    wanted = members | {owner}
    referenced = {ref for k in wanted for ref in references(loaded[k])}
    extra = {ref for ref in referenced if ref.split("/")[0] in REFERENCED and ref in loaded}
    found = wanted | extra
    return {k for k in found if types is None or k.split("/")[0] in types}


def all_pages(client: httpx.Client, url: str) -> tuple[list[str], list[str], int]:
    """Follow next links: match keys, include keys, and the number of pages."""
    matches: list[str] = []
    includes: list[str] = []
    pages = 0
    next_url: str | None = url
    while next_url is not None:
        response = client.get(next_url)
        assert response.status_code == 200, response.text
        bundle = response.json()
        assert bundle["type"] == "searchset"
        pages += 1
        for entry in bundle.get("entry", []):
            target = matches if entry["search"]["mode"] == "match" else includes
            target.append(key(entry["resource"]))
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        next_url = links.get("next")
    return matches, includes, pages


def test_patient_everything_is_the_compartment(
    client: httpx.Client, loaded: dict[str, Resource]
) -> None:
    patient = f"Patient/{patient_of(loaded)}"
    matches, includes, pages = all_pages(client, f"/{patient}/$everything?_count=1000")
    assert pages == 1
    assert len(matches) == len(set(matches))
    assert matches[0] == patient
    assert set(matches) | set(includes) == scan(loaded, patient)
    assert all(k.split("/")[0] in REFERENCED for k in set(includes) - set(matches))


def test_paging_returns_each_member_once(client: httpx.Client, loaded: dict[str, Resource]) -> None:
    patient = f"Patient/{patient_of(loaded)}"
    matches, includes, pages = all_pages(client, f"/{patient}/$everything?_count=37")
    expected = scan(loaded, patient)
    assert pages == -(-len([k for k in expected if k.split("/")[0] not in REFERENCED]) // 37)
    assert len(matches) == len(set(matches))
    assert set(matches) | set(includes) == expected


def test_type_filter(client: httpx.Client, loaded: dict[str, Resource]) -> None:
    patient = f"Patient/{patient_of(loaded)}"
    url = f"/{patient}/$everything?_type=Encounter,Practitioner"
    matches, includes, _ = all_pages(client, url)
    assert {k.split("/")[0] for k in matches} == {"Encounter"}
    assert {k.split("/")[0] for k in includes} == {"Practitioner"}
    encounters = {k for k in scan(loaded, patient) if k.startswith("Encounter/")}
    assert set(matches) == encounters


def test_since_in_the_future_returns_nothing(
    client: httpx.Client, loaded: dict[str, Resource]
) -> None:
    patient = f"Patient/{patient_of(loaded)}"
    matches, _, _ = all_pages(client, f"/{patient}/$everything?_since=2999-01-01T00:00:00Z")
    assert matches == []


def test_start_end_keeps_dated_care_in_range(
    client: httpx.Client, loaded: dict[str, Resource]
) -> None:
    patient = f"Patient/{patient_of(loaded)}"
    url = f"/{patient}/$everything?_type=Encounter,Condition&start=1900-01-01&end=1900-12-31"
    matches, _, _ = all_pages(client, url)
    assert not any(k.startswith("Encounter/") for k in matches)  # every Encounter has a period
    undated = {
        k
        for k in scan(loaded, patient, {"Condition"})
        if "onsetDateTime" not in loaded[k] and "recordedDate" not in loaded[k]
    }
    assert undated <= set(matches)
    everything, _, _ = all_pages(client, f"/{patient}/$everything?_type=Encounter")
    assert everything


def test_encounter_everything(client: httpx.Client, loaded: dict[str, Resource]) -> None:
    encounter = next(k for k in loaded if k.startswith("Encounter/"))
    matches, includes, _ = all_pages(client, f"/{encounter}/$everything")
    members = {k for k, r in loaded.items() if k != encounter and encounter in references(r)}
    assert matches[0] == encounter
    assert set(matches[1:]) == members
    assert f"Patient/{patient_of(loaded)}" in includes


def test_type_level_covers_every_patient(client: httpx.Client, loaded: dict[str, Resource]) -> None:
    patient = f"Patient/{patient_of(loaded)}"
    matches, _, _ = all_pages(client, "/Patient/$everything?_count=200")
    mine = [k for k in matches if k in loaded]  # other tests' resources can be shared
    assert len(mine) == len(set(mine))
    expected = {k for k in scan(loaded, patient) if k.split("/")[0] not in REFERENCED}
    assert expected <= set(matches)


def test_unknown_patient_and_bad_cursor(client: httpx.Client) -> None:
    assert client.get("/Patient/nobody-here/$everything").status_code == 404
    response = client.get("/Patient/x/$everything?_cursor=!!!")
    assert response.status_code in (400, 404)
    response = client.get("/Patient/$everything?_cursor=bm90LWEtbGlzdA")
    assert response.status_code == 400
    assert "NV-0501" in response.text


def test_what_the_patient_references_comes_too(client: httpx.Client) -> None:
    organization = client.post("/Organization", json={"resourceType": "Organization"}).json()
    patient = client.post(
        "/Patient",
        json={
            "resourceType": "Patient",
            "managingOrganization": {"reference": f"Organization/{organization['id']}"},
        },
    ).json()
    matches, includes, _ = all_pages(client, f"/Patient/{patient['id']}/$everything")
    assert matches == [f"Patient/{patient['id']}"]
    assert includes == [f"Organization/{organization['id']}"]


def test_type_level_pages_run_across_patients(
    client: httpx.Client, loaded: dict[str, Resource]
) -> None:
    whole, _, _ = all_pages(client, "/Patient/$everything?_count=1000&_type=Patient,Encounter")
    paged, _, pages = all_pages(client, "/Patient/$everything?_count=7&_type=Patient,Encounter")
    assert pages > 1
    assert sorted(set(paged)) == sorted(set(whole))
    mine = [k for k in paged if k in loaded]
    assert len(mine) == len(set(mine))
