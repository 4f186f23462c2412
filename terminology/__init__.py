"""Code systems, value sets, concept maps and knowledge bases (foods, allergens, interactions)."""
