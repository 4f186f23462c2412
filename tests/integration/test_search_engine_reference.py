"""Reference search (https://hl7.org/fhir/R4/search.html#reference), chains and reverse
chains (#chaining, #has), compartments (#compartments) and includes (#include).

One small graph per test: organizations (one part of another), a practitioner, patients
managed by them, observations and an encounter pointing at the patients in every way a
reference can be written (relative, absolute on this server, by identifier, to nothing)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.integration.test_search_engine_support import Batch, Resource, include_keys

pytestmark = pytest.mark.integration

LOINC = "http://loinc.org"
PERSON = "urn:example:person"


@dataclass
class Graph:
    """The resources of one test, by name."""

    batch: Batch
    base: str
    r: dict[str, Resource]

    def id(self, name: str) -> str:
        """The server id of a named resource."""
        value: str = self.r[name]["id"]
        return value

    def key(self, name: str) -> str:
        """``Type/id`` of a named resource."""
        return f"{self.r[name]['resourceType']}/{self.id(name)}"

    def local(self, reference: dict[str, Any]) -> str | None:
        """``Type/id`` a Reference points at on this server, or None."""
        text = reference.get("reference")
        if not isinstance(text, str):
            return None
        return text.removeprefix(self.base + "/")


def _code(code: str) -> dict[str, Any]:
    return {"coding": [{"system": LOINC, "code": code}]}


def _graph(client: httpx.Client) -> Graph:
    batch = Batch(client)
    base = str(client.base_url).rstrip("/")
    r: dict[str, Resource] = {}
    r["acme"] = batch.create({"resourceType": "Organization", "name": "Acme"})
    acme = f"Organization/{r['acme']['id']}"
    r["beta"] = batch.create(
        {"resourceType": "Organization", "name": "Beta", "partOf": {"reference": acme}}
    )
    r["smith"] = batch.create({"resourceType": "Practitioner", "name": [{"family": "Smith"}]})
    beta, smith = f"Organization/{r['beta']['id']}", f"Practitioner/{r['smith']['id']}"
    r["p1"] = batch.create(
        {
            "resourceType": "Patient",
            "name": [{"family": "Ames"}],
            "managingOrganization": {"reference": beta},
            "generalPractitioner": [{"reference": smith}],
        }
    )
    r["p2"] = batch.create(
        {
            "resourceType": "Patient",
            "name": [{"family": "Bond"}],
            "managingOrganization": {"reference": acme},
        }
    )
    p1, p2 = f"Patient/{r['p1']['id']}", f"Patient/{r['p2']['id']}"
    r["p3"] = batch.create(
        {
            "resourceType": "Patient",
            "name": [{"family": "Cole"}],
            "link": [{"other": {"reference": p1}, "type": "seealso"}],
        }
    )
    observation = {"resourceType": "Observation", "status": "final"}
    r["o1"] = batch.create(
        {
            **observation,
            "code": _code("1"),
            "subject": {"reference": p1},
            "performer": [{"reference": smith}],
        }
    )
    r["o2"] = batch.create({**observation, "code": _code("2"), "subject": {"reference": p2}})
    r["o3"] = batch.create(
        {**observation, "code": _code("3"), "subject": {"reference": f"{base}/{p1}"}}
    )
    r["o4"] = batch.create(
        {
            **observation,
            "code": _code("1"),
            "subject": {"identifier": {"system": PERSON, "value": "42"}},
        }
    )
    r["o5"] = batch.create(
        {**observation, "code": _code("2"), "subject": {"reference": "Group/none"}}
    )
    r["e1"] = batch.create(
        {
            "resourceType": "Encounter",
            "status": "finished",
            "class": {"code": "AMB"},
            "subject": {"reference": p1},
        }
    )
    return Graph(batch, base, r)


def _subject_is(graph: Graph, key: str) -> list[str]:
    return graph.batch.expect("Observation", lambda o: graph.local(o.get("subject", {})) == key)


def test_reference_forms(client: httpx.Client) -> None:
    g = _graph(client)
    p1 = g.key("p1")
    expected = _subject_is(g, p1)
    assert len(expected) == 2  # relative and absolute on this server
    for params in (
        [("subject", p1)],
        [("subject", f"{g.base}/{p1}")],
        [("subject:Patient", g.id("p1"))],
        [("patient", g.id("p1"))],
        [("patient", p1)],
    ):
        assert sorted(g.batch.ids("Observation", params)) == expected, params
    assert g.batch.ids("Observation", [("subject", "Patient/nobody")]) == []


def test_reference_identifier_and_missing(client: httpx.Client) -> None:
    g = _graph(client)
    found = g.batch.ids("Observation", [("subject:identifier", f"{PERSON}|42")])
    assert found == [g.id("o4")]
    assert g.batch.ids("Observation", [("subject:identifier", "42")]) == [g.id("o4")]
    everyone = g.batch.expect("Observation", lambda o: "subject" in o)
    assert sorted(g.batch.ids("Observation", [("subject:missing", "false")])) == everyone


def test_chains_to_depth_two_and_three(client: httpx.Client) -> None:
    g = _graph(client)
    via_p1 = _subject_is(g, g.key("p1"))
    assert sorted(g.batch.ids("Observation", [("subject:Patient.name", "ames")])) == via_p1
    beta = [("subject:Patient.organization.name", "beta")]
    assert sorted(g.batch.ids("Observation", beta)) == via_p1
    acme = [("patient.organization.name", "acme")]
    assert sorted(g.batch.ids("Observation", acme)) == _subject_is(g, g.key("p2"))
    deep = [("patient.organization.partof.name", "acme")]
    assert sorted(g.batch.ids("Observation", deep)) == via_p1
    by_id = [("patient.organization._id", g.id("beta"))]
    assert sorted(g.batch.ids("Observation", by_id)) == via_p1
    assert g.batch.ids("Observation", [("subject:Patient.name", "nobody")]) == []


def test_a_chain_reaches_only_live_targets_whatever_it_tests(client: httpx.Client) -> None:
    """A chain matches through a stored, live target only, also where its test would hold
    for a resource without any index rows (``:missing=true``, ``:not``, ``_id``,
    ``_lastUpdated``): a reference to a deleted patient, or to one never stored, matches
    none of them."""
    g = _graph(client)
    gone = g.batch.create({"resourceType": "Patient", "gender": "male"})
    observation = {"resourceType": "Observation", "status": "final", "code": _code("7")}
    g.batch.create({**observation, "subject": {"reference": f"Patient/{gone['id']}"}})
    g.batch.create({**observation, "subject": {"reference": "Patient/never-stored"}})
    assert client.delete(f"/Patient/{gone['id']}").status_code in (200, 204)
    live = {g.key(name) for name in ("p1", "p2", "p3")}

    def through(keep: Callable[[Resource], bool]) -> list[str]:
        """Observations whose subject is a live patient that ``keep`` accepts."""
        patients = {f"Patient/{p['id']}": p for p in g.batch.of_type("Patient")}
        return g.batch.expect(
            "Observation",
            lambda o: (key := g.local(o.get("subject", {}))) in live and keep(patients[key]),
        )

    def found(name: str, value: str) -> list[str]:
        return sorted(g.batch.ids("Observation", [(f"subject:Patient.{name}", value)]))

    assert found("birthdate:missing", "true") == through(lambda p: "birthDate" not in p)
    assert found("gender:not", "male") == through(lambda p: p.get("gender") != "male")
    assert found("gender", "male") == []
    assert found("_lastUpdated", "gt2000-01-01") == through(lambda p: True)
    assert found("_id", gone["id"]) == []
    assert found("_id", "never-stored") == []
    assert found("_id", g.id("p2")) == _subject_is(g, g.key("p2"))
    either = [("subject:Patient.gender:not", "male"), ("subject:Patient.name", "ames")]
    assert sorted(g.batch.ids("Observation", either)) == _subject_is(g, g.key("p1"))


def test_has_and_nested_has(client: httpx.Client) -> None:
    g = _graph(client)
    with_code_1 = [("_has:Observation:patient:code", f"{LOINC}|1")]
    assert g.batch.ids("Patient", with_code_1) == [g.id("p1")]
    any_code = [("_has:Observation:subject:code", f"{LOINC}|1,{LOINC}|2")]
    assert sorted(g.batch.ids("Patient", any_code)) == sorted([g.id("p1"), g.id("p2")])
    nested = [("_has:Patient:organization:_has:Observation:patient:code", f"{LOINC}|2")]
    assert g.batch.ids("Organization", nested) == [g.id("acme")]
    treated = [("_has:Patient:general-practitioner:name", "ames")]
    assert g.batch.ids("Practitioner", treated) == [g.id("smith")]


def test_compartment_search(client: httpx.Client) -> None:
    g = _graph(client)
    p1 = g.id("p1")
    expected = g.batch.expect(
        "Observation",
        lambda o: (
            g.local(o.get("subject", {})) == g.key("p1")
            or any(g.local(p) == g.key("p1") for p in o.get("performer", []))
        ),
    )
    assert sorted(g.batch.ids(f"Patient/{p1}/Observation")) == expected
    assert g.batch.ids(f"Patient/{p1}/Encounter") == [g.id("e1")]
    assert g.batch.ids(f"Patient/{p1}/Patient") == [g.id("p3")]  # links to it, not itself
    coded = g.batch.ids(f"Patient/{p1}/Observation", [("code", f"{LOINC}|3")])
    assert coded == [g.id("o3")]
    smith = g.id("smith")
    assert g.batch.ids(f"Practitioner/{smith}/Observation") == [g.id("o1")]


def test_include_and_revinclude(client: httpx.Client) -> None:
    g = _graph(client)
    bundle = g.batch.bundle(
        "Observation", [("_id", g.id("o1")), ("_include", "Observation:subject")]
    )
    assert include_keys(bundle) == [g.key("p1")]
    star = g.batch.bundle("Observation", [("_id", g.id("o1")), ("_include", "Observation:*")])
    assert include_keys(star) == sorted([g.key("p1"), g.key("smith")])
    typed = g.batch.bundle(
        "Observation", [("_id", g.id("o5")), ("_include", "Observation:subject:Group")]
    )
    assert include_keys(typed) == []  # Group/none does not exist
    reverse = g.batch.bundle(
        "Patient", [("_id", g.id("p1")), ("_revinclude", "Observation:subject")]
    )
    assert include_keys(reverse) == sorted(f"Observation/{i}" for i in _subject_is(g, g.key("p1")))


def test_include_iterate_reaches_further_each_once(client: httpx.Client) -> None:
    g = _graph(client)
    params = [
        ("_id", f"{g.id('o1')},{g.id('o3')}"),
        ("_include", "Observation:subject"),
        ("_include:iterate", "Patient:organization"),
        ("_include:iterate", "Organization:partof"),
    ]
    bundle = g.batch.bundle("Observation", params)
    assert include_keys(bundle) == sorted([g.key("p1"), g.key("beta"), g.key("acme")])
    without_iterate = [*params[:2], ("_include", "Patient:organization")]
    assert include_keys(g.batch.bundle("Observation", without_iterate)) == [g.key("p1")]


def test_included_resources_are_current_and_live(client: httpx.Client) -> None:
    g = _graph(client)
    client.delete(f"/{g.key('smith')}")
    renamed = {**g.r["p1"], "name": [{"family": "Ames-Renamed"}]}
    assert client.put(f"/{g.key('p1')}", json=renamed).status_code == 200
    bundle = g.batch.bundle("Observation", [("_id", g.id("o1")), ("_include", "Observation:*")])
    included = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "include"]
    assert [f"{r['resourceType']}/{r['id']}" for r in included] == [g.key("p1")]
    assert included[0]["name"][0]["family"] == "Ames-Renamed"


def test_has_follows_the_sources_writes_and_reads_their_row_when_asked(
    client: httpx.Client,
) -> None:
    """``_has`` matches through the source's live index rows: a deleted or recoded source
    no longer counts, and a test on the source's own row (``_lastUpdated``, ``_id``) works."""
    code = f"{LOINC}|has-{uuid.uuid4().hex[:8]}"
    patient = client.post("/Patient", json={"resourceType": "Patient"}).json()["id"]
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code.split("|")[1]}]},
        "subject": {"reference": f"Patient/{patient}"},
    }
    made = client.post("/Observation", json=observation).json()

    def found(name: str, value: str, **also: str) -> list[str]:
        bundle = client.get("/Patient", params={f"_has:Observation:patient:{name}": value, **also})
        assert bundle.status_code == 200, bundle.text
        return [e["resource"]["id"] for e in bundle.json().get("entry", [])]

    assert found("code", code) == [patient]
    # every patient with a result matches: narrowed to this one, or it may be on a later page
    assert found("_lastUpdated", "gt2000-01-01", _id=patient) == [patient]
    assert found("_lastUpdated", "lt2000-01-01") == []
    assert found("_id", made["id"]) == [patient]
    client.put(
        f"/Observation/{made['id']}",
        json={**observation, "id": made["id"], "code": {"text": "recoded"}},
    ).raise_for_status()
    assert found("code", code) == []
    client.put(
        f"/Observation/{made['id']}", json={**observation, "id": made["id"]}
    ).raise_for_status()
    assert found("code", code) == [patient]
    client.delete(f"/Observation/{made['id']}").raise_for_status()
    assert found("code", code) == []
    assert found("_id", made["id"]) == []


def test_a_chain_through_several_target_types_reaches_each(client: httpx.Client) -> None:
    """``Observation.encounter`` points at an Encounter or an EpisodeOfCare; both define
    ``patient``, so ``encounter.patient.family`` goes through either."""
    g = _graph(client)
    episode = g.batch.create(
        {"resourceType": "EpisodeOfCare", "status": "active", "patient": {"reference": g.key("p2")}}
    )
    observation = {"resourceType": "Observation", "status": "final", "code": _code("9")}
    via_encounter = g.batch.create({**observation, "encounter": {"reference": g.key("e1")}})
    via_episode = g.batch.create(
        {**observation, "encounter": {"reference": f"EpisodeOfCare/{episode['id']}"}}
    )
    chain = "encounter.patient.family"
    assert g.batch.ids("Observation", [(chain, "ames")]) == [via_encounter["id"]]
    assert g.batch.ids("Observation", [(chain, "bond")]) == [via_episode["id"]]
    both = sorted([via_encounter["id"], via_episode["id"]])
    assert sorted(g.batch.ids("Observation", [(chain, "ames,bond")])) == both
    assert g.batch.ids("Observation", [("encounter:EpisodeOfCare.patient.family", "ames")]) == []
    # one array of both chains' sources, with the other tests of the search beside it
    assert sorted(g.batch.ids("Observation", [(chain, "ames,bond"), ("code", "9")])) == both
    assert g.batch.ids("Observation", [(chain, "ames,bond"), ("_id", via_episode["id"])]) == [
        via_episode["id"]
    ]
    assert g.batch.ids("Observation", [(chain, "ames,bond"), ("code", "1")]) == []
    # beside another test, one EXISTS through both types: a test of the target's row too
    by_id = [("code", "9"), ("encounter._id", f"{episode['id']},{g.id('e1')}")]
    assert sorted(g.batch.ids("Observation", by_id)) == both
    assert g.batch.ids("Observation", [("code", "9"), ("encounter._id", episode["id"])]) == [
        via_episode["id"]
    ]
    status = [("code", "9"), ("encounter.status", "active")]  # only the episode is active
    assert g.batch.ids("Observation", status) == [via_episode["id"]]
    # a deeper level through several types: Encounter.patient is a Patient or a Group
    deeper = "encounter.patient._id"
    assert g.batch.ids("Observation", [(deeper, g.id("p2"))]) == [via_episode["id"]]
    client.delete(f"/Observation/{via_encounter['id']}")  # a deleted source is not found
    assert g.batch.ids("Observation", [(chain, "ames,bond")]) == [via_episode["id"]]
    client.delete(f"/EpisodeOfCare/{episode['id']}")  # a deleted target matches no more
    assert g.batch.ids("Observation", [(chain, "bond")]) == []


def test_a_search_of_only_a_chain_through_several_types(client: httpx.Client) -> None:
    """With no other test (no ``_tag`` either: the family names are this test's own), a chain
    through an Encounter or an EpisodeOfCare is one array of both chains' sources, and so is
    its second level (``Encounter.patient`` is a Patient or a Group): the same matches, every
    page of them once, and a deleted source or target matches no more."""

    def made(resource: Resource) -> Resource:
        response = client.post(f"/{resource['resourceType']}", json=resource)
        assert response.status_code == 201, response.text
        stored: Resource = response.json()
        return stored

    def found(params: list[tuple[str, str]]) -> list[str]:
        ids: list[str] = []
        response = client.get("/Observation", params=[*params, ("_count", "1")])
        while True:
            assert response.status_code == 200, response.text
            page = response.json()
            ids += [e["resource"]["id"] for e in page.get("entry", [])]
            url = next((x["url"] for x in page.get("link", []) if x["relation"] == "next"), None)
            if url is None:
                break
            response = client.get(url)
        assert len(ids) == len(set(ids)), ids
        return sorted(ids)

    first, second = (f"Chainx{uuid.uuid4().hex[:12]}" for _ in range(2))  # PHI: 24 at most
    p1 = made({"resourceType": "Patient", "name": [{"family": first}]})
    p2 = made({"resourceType": "Patient", "name": [{"family": second}]})
    encounter = made(
        {
            "resourceType": "Encounter",
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
            "subject": {"reference": f"Patient/{p1['id']}"},
        }
    )
    episode = made(
        {
            "resourceType": "EpisodeOfCare",
            "status": "active",
            "patient": {"reference": f"Patient/{p2['id']}"},
        }
    )
    observation = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
    via_encounter = [
        made({**observation, "encounter": {"reference": f"Encounter/{encounter['id']}"}})
        for _ in range(3)
    ]
    via_episode = made(
        {**observation, "encounter": {"reference": f"EpisodeOfCare/{episode['id']}"}}
    )
    chain = "encounter.patient.family"
    ids = sorted(o["id"] for o in via_encounter)
    assert found([(chain, first)]) == ids
    assert found([(chain, second)]) == [via_episode["id"]]
    assert found([(chain, f"{first},{second}")]) == sorted([*ids, via_episode["id"]])
    assert found([("encounter.patient._id", p1["id"])]) == ids
    assert client.delete(f"/Observation/{ids[0]}").status_code in (200, 204)
    assert found([(chain, first)]) == ids[1:]
    assert client.delete(f"/EpisodeOfCare/{episode['id']}").status_code in (200, 204)
    assert found([(chain, second)]) == []
