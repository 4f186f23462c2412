"""Scope enforcement beyond the matrix: totals, system and compartment searches, chains and
``_has``, writes that would move data to another patient, conditional writes, deleted
resources, system history, and tokens the policy refuses outright."""

from __future__ import annotations

from typing import Any

import pytest

from fhir_server.http.rest_routes import patch_mutation
from fhir_server.store.policy_store import PolicyStore
from resources import error_codes
from resources.errors import Forbidden
from resources.search.parse import parse_search
from resources.search.registry import default_registry
from resources.stored import SearchPage
from smart_auth.context import AccessContext
from tests.integration.scope_world import BASE, World, world

pytestmark = pytest.mark.integration
__all__ = ["world"]


def _search(
    world: World,
    store: PolicyStore,
    types: tuple[str, ...],
    *params: tuple[str, str],
    compartment: tuple[str, str] | None = None,
) -> SearchPage:
    query = parse_search(types, list(params), default_registry(), compartment=compartment)
    page: SearchPage = world.run(store.search(query, None, BASE))
    return page


def _ids(page: SearchPage) -> set[str]:
    return {v.id for v in page.matches}


def test_totals_never_count_hidden_resources(world: World) -> None:
    store = world.store("patient_v1")
    other = f"Patient/{world.ids['other_patient']}"
    # Two Observations are about the other patient; only the one the launch patient performed
    # is in the launch patient's compartment.
    page = _search(world, store, ("Observation",), ("subject", other), ("_total", "accurate"))
    assert page.total == 1
    assert _ids(page) == {world.ids["mixed"]}
    counted = _search(world, store, ("Observation",), ("subject", other), ("_summary", "count"))
    assert counted.total == 1
    assert counted.matches == []


def test_system_search_sees_only_the_compartment(world: World) -> None:
    page = _search(
        world, world.store("patient_v2_lab"), (), ("_count", "100"), ("_total", "accurate")
    )
    fixtures = set(world.ids.values())
    assert _ids(page) & fixtures == {world.ids["me"], world.ids["own"], world.ids["mixed"]}
    assert page.total == len(page.matches)
    everyone = {v.resource_type for v in page.matches}
    assert everyone <= {"Patient", "Observation"}


def test_compartment_search_of_another_patient_shows_only_shared_resources(world: World) -> None:
    compartment = ("Patient", world.ids["other_patient"])
    page = _search(world, world.store("patient_v1"), ("Observation",), compartment=compartment)
    assert _ids(page) == {world.ids["mixed"]}  # performed by the launch patient


def test_has_cannot_test_hidden_resources(world: World) -> None:
    has = ("_has:Observation:subject:category", "vital-signs")
    me = ("_id", world.ids["me"])
    assert _ids(_search(world, world.store("patient_v1"), ("Patient",), me, has)) == {
        world.ids["me"]
    }
    assert _ids(_search(world, world.store("patient_v2_lab"), ("Patient",), me, has)) == set()


def test_chains_cannot_test_hidden_resources(world: World) -> None:
    store = world.store("patient_v1")
    mixed = ("_id", world.ids["mixed"])
    through_subject = _search(
        world, store, ("Observation",), mixed, ("subject:Patient.active", "true")
    )
    through_performer = _search(
        world, store, ("Observation",), mixed, ("performer:Patient.active", "true")
    )
    assert _ids(through_subject) == set()  # the subject is another patient
    assert _ids(through_performer) == {world.ids["mixed"]}


def _refused(world: World, call: Any, code: str) -> None:
    with pytest.raises(Forbidden) as raised:
        world.run(call)
    assert raised.value.nv_code == code


def test_patient_write_cannot_move_a_resource_to_another_patient(world: World) -> None:
    store = world.store("patient_v1")
    fresh = world.run(world.raw.create("Observation", world.copy_of("own"), None)).stored
    moved = {**world.copy_of("own"), "id": fresh.id}
    moved["subject"] = {"reference": f"Patient/{world.ids['other_patient']}"}
    outside = error_codes.SCOPE_WRITE_OUTSIDE_ACCESS
    _refused(world, store.update("Observation", fresh.id, lambda _c: moved, None, "PUT"), outside)
    also = [{"reference": f"Patient/{world.ids['other_patient']}"}]
    mutate = patch_mutation("Observation", lambda doc: {**doc, "performer": also})
    _refused(world, store.update("Observation", fresh.id, mutate, None, "PATCH"), outside)
    after = world.run(world.raw.read("Observation", fresh.id))
    assert after.version == fresh.version  # both rolled back


def test_put_on_another_patients_resource_is_refused_and_changes_nothing(world: World) -> None:
    store = world.store("patient_v1")
    mine = {**world.copy_of("own"), "id": world.ids["other"]}
    outside = error_codes.SCOPE_WRITE_OUTSIDE_ACCESS
    _refused(
        world,
        store.update("Observation", world.ids["other"], lambda _c: mine, None, "PUT"),
        outside,
    )
    current = world.run(world.raw.read("Observation", world.ids["other"]))
    assert world.ids["other_patient"].encode() in current.body


def _tagged(world: World, role: str, tag: str) -> str:
    body = {**world.copy_of(role), "identifier": [{"system": "urn:test", "value": tag}]}
    return str(world.run(world.raw.create("Observation", body, None)).stored.id)


def test_conditional_writes_do_not_match_hidden_resources(world: World) -> None:
    store = world.store("patient_v1")
    tag = f"{world.ids['me']}-cond"
    hidden = _tagged(world, "other", tag)
    criteria = parse_search(
        ("Observation",), [("identifier", f"urn:test|{tag}")], default_registry()
    )
    assert world.run(store.delete_matching(criteria, 1)) == []
    created = world.run(store.create("Observation", world.copy_of("own"), criteria))
    assert created.created  # the hidden match is not returned
    assert created.stored.id != hidden
    assert world.run(world.raw.read("Observation", hidden)).deleted is False


def test_conditional_write_needs_search_scope(world: World) -> None:
    access = AccessContext("c", ("patient/Observation.cud",), patient=world.ids["me"])
    criteria = parse_search(("Observation",), [("code", "x")], default_registry())
    code = error_codes.SCOPE_CONDITION_NEEDS_SEARCH
    _refused(world, world.store(access).delete_matching(criteria, 1), code)


def test_deleted_resources_show_only_where_they_were_visible(world: World) -> None:
    store = world.store("patient_v1")
    own = world.run(world.raw.create("Observation", world.copy_of("own"), None)).stored
    other = world.run(world.raw.create("Observation", world.copy_of("other"), None)).stored
    for id_ in (own.id, other.id):
        world.run(world.raw.delete("Observation", id_, None))
    seen = world.run(store.read("Observation", own.id))
    assert seen is not None
    assert seen.deleted  # answered 410
    assert world.run(store.read("Observation", other.id)) is None  # answered 404
    history = world.run(store.history("Observation", other.id, None, 10, None))
    assert history.versions == []


def test_system_history_shows_only_visible_versions(world: World) -> None:
    page = world.run(world.store("patient_v2_lab").history(None, None, world.start, 1000, None))
    hidden = world.hidden_keys(frozenset({"vital", "other", "other_patient", "doc"}))
    assert page.versions
    assert not {(v.resource_type, v.id) for v in page.versions} & hidden
    assert page.total is None


@pytest.mark.parametrize(
    ("scopes", "code"),
    [
        (("system/*.rs", "patient/*.rs"), error_codes.SCOPE_MIXED_CONTEXT),
        (("user/*.rs", "system/Observation.rs"), error_codes.SCOPE_MIXED_CONTEXT),
        (("launch/patient", "openid"), error_codes.SCOPE_INSUFFICIENT),
    ],
)
def test_tokens_refused_outright(world: World, scopes: tuple[str, ...], code: str) -> None:
    access = AccessContext("c", scopes, patient=world.ids["me"], fhir_user="Practitioner/x")
    _refused(world, world.store(access).read("Observation", world.ids["own"]), code)


def test_patient_scopes_without_a_launch_patient_reach_nothing(world: World) -> None:
    access = AccessContext("c", ("patient/*.read",))
    code = error_codes.SCOPE_INSUFFICIENT
    _refused(world, world.store(access).read("Observation", world.ids["own"]), code)


def test_shared_resource_is_readable_but_not_writable_by_the_patient(world: World) -> None:
    store = world.store("patient_v1")
    shared = world.ids["mixed"]  # about the other patient, performed by the launch patient
    assert world.run(store.read("Observation", shared)) is not None
    outside = error_codes.SCOPE_WRITE_OUTSIDE_ACCESS
    mutate = patch_mutation("Observation", lambda doc: {**doc, "note": [{"text": "x"}]})
    _refused(world, store.update("Observation", shared, mutate, None, "PATCH"), outside)
    _refused(world, store.delete("Observation", shared, None), outside)
    assert world.run(world.raw.read("Observation", shared)).version == 1
