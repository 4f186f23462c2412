"""Unit tests touch neither PostgreSQL nor Redis, so ``scripts/test --with-debian-services``
leaves them out of its pass on Debian's servers; a unit test that asks for them fails."""

from __future__ import annotations

from typing import NoReturn

import pytest


@pytest.fixture(scope="session")
def services() -> NoReturn:
    """Refuses the backing services: a test that needs them belongs in tests/integration."""
    pytest.fail("a unit test asked for PostgreSQL and Redis: move it to tests/integration")
