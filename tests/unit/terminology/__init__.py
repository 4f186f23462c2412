"""Allergens, cross-reactivity and food-drug interaction knowledge bases."""
