"""Scopes over HTTP: the routes take the policy store from ``rest_routes.store_of`` whenever
the request carries an ``AccessContext`` in ``request.state.access``.

Until the token server lands, the server under test gets one ASGI middleware that puts the
``AccessContext`` of a matrix token (named in a test header) where the token verifier will put
the verified token's; everything after it is the real app. With tokens, the same requests run
with ``Authorization: Bearer`` instead of the header (see ``tests.scope_matrix``).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from resources import error_codes
from tests.auth_fixtures import TokenMinter
from tests.integration.fhir_http import assert_outcome
from tests.integration.scope_server import ScopedServer, scoped_client, scoped_url
from tests.integration.scope_world import World, world

pytestmark = pytest.mark.integration
__all__ = ["scoped_url", "world"]


def test_hidden_resource_reads_exactly_as_an_absent_one(
    scoped_url: ScopedServer, world: World
) -> None:
    with scoped_client(scoped_url, "patient_v1") as http:
        hidden = http.get(f"Observation/{world.ids['other']}")
        absent = http.get("Observation/no-such-observation")
        own = http.get(f"Observation/{world.ids['own']}")
    assert own.status_code == 200
    assert_outcome(hidden, 404, error_codes.RESOURCE_NOT_FOUND)
    # Word for word the answer for an id that never existed, but for the id itself.
    assert hidden.text.replace(world.ids["other"], "X") == absent.text.replace(
        "no-such-observation", "X"
    )


def test_missing_scope_is_403_with_outcome_and_challenge(
    scoped_url: ScopedServer, world: World
) -> None:
    with scoped_client(scoped_url, "read_only") as http:
        response = http.post("Observation", json=world.copy_of("own"))
    assert_outcome(response, 403, error_codes.SCOPE_INSUFFICIENT)
    assert response.headers["www-authenticate"] == 'Bearer error="insufficient_scope"'


def test_search_over_http_is_restricted_with_true_totals(
    scoped_url: ScopedServer, world: World
) -> None:
    ids = ",".join(world.ids[role] for role in ("own", "vital", "other"))
    params = {"_id": ids, "_total": "accurate", "_include": "Observation:performer"}
    with scoped_client(scoped_url, "patient_v2_lab") as http:
        bundle: dict[str, Any] = http.get("Observation", params=params).json()
    found = {entry["resource"]["id"] for entry in bundle.get("entry", [])}
    assert found == {world.ids["own"]}  # the performer is a Practitioner: no scope for it
    assert bundle["total"] == 1


def test_transaction_entry_outside_the_compartment_fails_the_bundle(
    scoped_url: ScopedServer, world: World
) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": {"resourceType": "Observation", **world.copy_of(role)},
                "request": {"method": "POST", "url": "Observation"},
            }
            for role in ("own", "other")
        ],
    }
    with scoped_client(scoped_url, "patient_v1") as http:
        response = http.post("", json=bundle)
    body = assert_outcome(response, 403, error_codes.SCOPE_WRITE_OUTSIDE_ACCESS)
    # a create the policy judges by its content is written alone, so the refusal names it
    assert body["issue"][0]["diagnostics"].startswith("Bundle.entry[1]")


def test_without_a_token_the_answer_is_401_and_reveals_nothing(
    scoped_url: ScopedServer, world: World
) -> None:
    with scoped_client(scoped_url, None) as http:
        response = http.get(f"Observation/{world.ids['other']}")
    body = assert_outcome(response, 401, error_codes.TOKEN_MISSING)
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert world.ids["other"] not in str(body)


def test_an_expired_token_is_401(
    scoped_url: ScopedServer, world: World, mint_token: TokenMinter
) -> None:
    token = mint_token("patient/*.read", patient=world.ids["me"], lifetime_s=-60)
    with scoped_client(scoped_url, None) as http:
        response = http.get(
            f"Patient/{world.ids['me']}", headers={"Authorization": f"Bearer {token}"}
        )
    assert_outcome(response, 401, error_codes.TOKEN_EXPIRED)


def test_without_auth_the_store_is_unrestricted(client: httpx.Client, world: World) -> None:
    assert client.get(f"Observation/{world.ids['other']}").status_code == 200


def test_operations_use_the_policy_store(scoped_url: ScopedServer, world: World) -> None:
    with scoped_client(scoped_url, "patient_v1") as http:
        own = http.get(f"Observation/{world.ids['own']}/$meta")
        hidden = http.get(f"Observation/{world.ids['other']}/$meta")
    assert own.status_code == 200
    assert_outcome(hidden, 404, error_codes.RESOURCE_NOT_FOUND)


def test_system_search_and_history_over_http_show_only_the_compartment(
    scoped_url: ScopedServer, world: World
) -> None:
    with scoped_client(scoped_url, "patient_v2_lab") as http:
        found = http.get("", params={"_count": "1000"}).json()
        history = http.get("_history", params={"_since": world.start.isoformat()}).json()
    allowed = {world.ids[role] for role in ("me", "own", "mixed")}
    fixtures = set(world.ids.values())
    for bundle in (found, history):
        ids = {entry["resource"]["id"] for entry in bundle.get("entry", []) if "resource" in entry}
        assert ids & fixtures <= allowed
    assert {entry["resource"]["id"] for entry in found["entry"]} & fixtures == allowed
