"""Where the benchmarks find the shared public test data: ``$NUTRIVISION_SHARED_FIXTURES``,
else ``../shared/fixtures`` beside the repository (as the tests do)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = Path(
    os.environ.get("NUTRIVISION_SHARED_FIXTURES") or REPO.parent / "shared" / "fixtures"
)
