"""Food-drug interactions: drug names and classes, food groups, rules and their review."""

from terminology.interactions.resolver import RuleHit, interaction_rules_for

__all__ = ["RuleHit", "interaction_rules_for"]
