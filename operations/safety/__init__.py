"""Food-drug, food-allergen, cross-reactivity and drug-allergy checks (``$interaction-check``
and the re-check on writes): inputs, matching, findings as DetectedIssue, alerts."""
