"""The auth-on server for the scope tests, and clients that carry a matrix token.

Each matrix token (``tests.scope_matrix.TOKENS``) is minted as a real signed access token
with the scopes, patient and fhirUser of ``World.access``; the server verifies it like any
other and hands its ``AccessContext`` to the access policy.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.auth_fixtures import TokenMinter
from tests.integration.scope_world import World


@dataclass(frozen=True)
class ScopedServer:
    """The auth-on FHIR base, and real tokens for the matrix tokens of ``world``."""

    url: str
    world: World
    mint: TokenMinter

    def bearer(self, name: str) -> str:
        """A signed access token with the grant of the matrix token ``name``."""
        access = self.world.access(name)
        return self.mint(
            " ".join(access.scopes),
            client_id=access.client_id,
            patient=access.patient,
            fhir_user=access.fhir_user,
            subject=access.subject,
        )


@pytest.fixture(scope="module")
def scoped_url(auth_base_url: str, world: World, mint_token: TokenMinter) -> ScopedServer:
    """The auth-on server, with tokens minted for ``world``."""
    return ScopedServer(auth_base_url, world, mint_token)


def scoped_client(server: ScopedServer, token: str | None) -> httpx.Client:
    """A FHIR JSON client acting with the matrix token ``token`` (None: no token at all)."""
    headers = {"Accept": "application/fhir+json", "Content-Type": "application/fhir+json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {server.bearer(token)}"
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)
