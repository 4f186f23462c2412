"""Foods served as FHIR NutritionProduct and the foods CLI."""
