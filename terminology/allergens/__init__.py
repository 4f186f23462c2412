"""Allergens: the unified FDA + EU vocabulary, a free-text matcher and cross-reactivity."""

from terminology.allergens.cross_reactivity import cross_reactions_in, cross_reactive
from terminology.allergens.matcher import AllergenHit, allergens_in

__all__ = ["AllergenHit", "allergens_in", "cross_reactions_in", "cross_reactive"]
