"""The scope-enforcement matrix on the real store (PostgreSQL): every token of
``tests.scope_matrix`` x every interaction x own / own other category / other patient's data.

The policy store is built from ``AccessContext`` values directly: the policy is the unit under
test, exactly as the HTTP layer builds it (``rest_routes.store_of``) from a verified token.
"""

from __future__ import annotations

import pytest

from resources import error_codes
from resources.errors import Forbidden
from resources.stored import StoredVersion
from tests.integration.scope_actions import ACTIONS, Result
from tests.integration.scope_world import World, world
from tests.scope_matrix import CASES, HIDDEN, TOKENS

pytestmark = pytest.mark.integration
__all__ = ["world"]

UNREFERENCED = frozenset({"vital", "other"})
"""Hidden fixtures that no visible resource references: their ids must not occur in any byte
of an answer (the others may be named by a visible resource's own references)."""


def _check_no_leak(world: World, token: str, versions: list[StoredVersion]) -> None:
    hidden = HIDDEN[token]
    keys = world.hidden_keys(hidden)
    shown = {(v.resource_type, v.id) for v in versions}
    assert not shown & keys, f"{token} was shown {shown & keys}"
    for role in hidden & UNREFERENCED:
        for version in versions:
            assert world.ids[role].encode() not in (version.body or b""), (token, role)


def _attempt(world: World, token: str, interaction: str, target: str) -> Result:
    """The action's outcome; a refusal is ``D`` once its code and header are checked."""
    store = world.store(token)
    refused: Forbidden | None = None
    try:
        outcome: Result = world.run(ACTIONS[interaction](world, store, target))
    except Forbidden as error:
        refused = error
    if refused is None:
        return outcome
    assert refused.nv_code in (
        error_codes.SCOPE_INSUFFICIENT,
        error_codes.SCOPE_WRITE_OUTSIDE_ACCESS,
    )
    assert refused.headers["WWW-Authenticate"] == 'Bearer error="insufficient_scope"'
    return "D", []


@pytest.mark.parametrize(("token", "interaction", "target"), CASES)
def test_matrix(world: World, token: str, interaction: str, target: str) -> None:
    outcome, versions = _attempt(world, token, interaction, target)
    assert outcome == TOKENS[token].outcome(interaction, target), f"{token} {interaction} {target}"
    _check_no_leak(world, token, versions)
