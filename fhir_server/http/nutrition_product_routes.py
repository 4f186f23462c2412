"""Read-only ``NutritionProduct`` endpoints answered from the shipped food database.

``GET /fhir/NutritionProduct?name=...`` searches foods by name (synonyms, typos, preparation
words) and returns a searchset Bundle ranked best first, with each entry's ``search.score``;
``GET /fhir/NutritionProduct/{id}`` reads one. The foods are not stored in PostgreSQL: the
database ships with the code, so these routes come before the generic REST routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.http.responses import base_url, fhir_response
from resources import error_codes
from resources.errors import Invalid, NotFound
from terminology.foods.fhir import nutrition_product
from terminology.foods.lookup import FoodLookup, food_lookup

_DEFAULT_COUNT = 10
_MAX_COUNT = 50


async def _lookup() -> FoodLookup:
    # The first call opens the file and builds the name index (about a second): off the loop.
    return await run_in_threadpool(food_lookup)


def _count(request: Request) -> int:
    raw = request.query_params.get("_count", str(_DEFAULT_COUNT))
    if not raw.isdigit():
        raise Invalid(f"_count must be a whole number, not {raw!r}", error_codes.FOOD_BAD_COUNT)
    return min(int(raw), _MAX_COUNT)


async def search_nutrition_products(request: Request) -> Response:
    """``GET /fhir/NutritionProduct?name=broccoli``: foods by name, best first."""
    name = request.query_params.get("name") or request.query_params.get("name:contains")
    food_id = request.query_params.get("_id")
    if not name and not food_id:
        raise Invalid(
            "NutritionProduct search needs name (or _id): the food list is not paged",
            error_codes.FOOD_SEARCH_NEEDS_NAME,
        )
    lookup = await _lookup()
    count = _count(request)
    scored: list[tuple[Any, float | None]]
    if food_id:
        food = lookup.get(food_id)
        scored = [(food, None)] if food else []
    else:
        scored = [(m.food, m.score) for m in lookup.search(name or "", count)]
    base = base_url(request)
    entries = [_entry(lookup, base, food, score) for food, score in scored[:count]]
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": len(entries)}
    bundle["link"] = [{"relation": "self", "url": str(request.url)}]
    bundle["entry"] = entries
    return fhir_response(request, bundle)


def _entry(lookup: FoodLookup, base: str, food: Any, score: float | None) -> dict[str, Any]:
    search: dict[str, Any] = {"mode": "match"}
    if score is not None:
        search["score"] = round(score, 3)
    return {
        "fullUrl": f"{base}/NutritionProduct/{food.id}",
        "resource": nutrition_product(lookup, food),
        "search": search,
    }


async def read_nutrition_product(request: Request) -> Response:
    """``GET /fhir/NutritionProduct/{id}``."""
    food_id = request.path_params["id"]
    lookup = await _lookup()
    food = lookup.get(food_id)
    if food is None:
        raise NotFound(f"NutritionProduct/{food_id} is not known", error_codes.FOOD_NOT_FOUND)
    return fhir_response(request, nutrition_product(lookup, food))


NUTRITION_PRODUCT_ROUTES: tuple[tuple[str, str, Callable[[Request], Awaitable[Response]]], ...] = (
    ("GET", "/fhir/NutritionProduct", search_nutrition_products),
    ("GET", "/fhir/NutritionProduct/{id}", read_nutrition_product),
)
