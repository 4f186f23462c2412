"""Finding interaction food groups (grapefruit, tyramine, vitamin K, ...) in free food text."""

from __future__ import annotations

from dataclasses import dataclass

from terminology.interactions.knowledge import KnowledgeBase, knowledge_base
from terminology.interactions.models import FoodGroup
from terminology.textmatch import NEGATION_NOTE, Certainty, Token, said_absent, tokenise

# Words that do not make a text a food: quantities, containers, plain water, dosing words.
_NOT_FOOD_WORDS = (
    "a an the of and with some one two three half glass cup mug bottle can sip ml oz l litre "
    "liter pint small large big plain tap still water ice cold warm hot boiled filtered "
    "spoon tablespoon teaspoon pill tablet capsule dose medicine medication take taken "
    "my morning evening night at in on for"
)
_NOT_FOOD = frozenset(_NOT_FOOD_WORDS.split())


@dataclass(frozen=True)
class FoodEvidence:
    """A food group found in a food text, with the term that matched."""

    input: str
    group: str
    group_label: str
    term: str
    matched_text: str
    certainty: Certainty
    note: str

    def explain(self) -> str:
        """'grapefruit juice' -> Grapefruit and related citrus (contains)."""
        note = f" - {self.note}" if self.note else ""
        return f"'{self.matched_text}' -> {self.group_label} ({self.certainty}){note}"


def food_groups_in(text: str, kb: KnowledgeBase | None = None) -> list[FoodEvidence]:
    """Every interaction food group that ``text`` names or implies, with its evidence."""
    kb = kb or knowledge_base()
    tokens = tokenise(text)
    found: list[FoodEvidence] = []
    for group in kb.food_groups.values():
        found.extend(_group_evidence(kb, group, text, tokens))
    return found


def is_food(text: str) -> bool:
    """True unless ``text`` is empty or only plain water, quantities and dosing words."""
    return any(t.key not in _NOT_FOOD and not t.key.isdigit() for t in tokenise(text))


def _group_evidence(
    kb: KnowledgeBase, group: FoodGroup, text: str, tokens: list[Token]
) -> list[FoodEvidence]:
    keys = [token.key for token in tokens]
    found = []
    for match in kb.food_indexes[group.id].find_in_tokens(text, tokens):
        absent = said_absent(keys, match.first_token, match.last_token)
        certainty: Certainty = "possible" if absent else match.payload.certainty
        notes = [n for n in (match.payload.note, NEGATION_NOTE if absent else "") if n]
        found.append(
            FoodEvidence(
                text, group.id, group.label, match.term, match.text, certainty, "; ".join(notes)
            )
        )
    if group.matches_any_food and not found and is_food(text):
        note = "any food or drink other than plain water"
        found.append(FoodEvidence(text, group.id, group.label, "any food", text, "contains", note))
    return found
