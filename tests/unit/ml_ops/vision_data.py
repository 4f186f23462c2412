"""Where the vision tests find the shared photo dataset, and a skip when it is absent."""

from __future__ import annotations

import pytest

from tests.ig_data import SHARED

FOOD_PHOTOS = SHARED / "food-images" / "roboflow-food-ingredients-detection"
"""``../shared/fixtures/food-images/...`` (``NUTRIVISION_SHARED_FIXTURES`` moves it)."""

needs_photos = pytest.mark.skipif(
    not (FOOD_PHOTOS / "data.yaml").is_file(),
    reason=f"the Roboflow food photos are not on this machine ({FOOD_PHOTOS})",
)
