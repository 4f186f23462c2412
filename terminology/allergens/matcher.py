"""Finding allergens in free food text, with the evidence for each finding.

The text is tokenised and normalised (lowercase, accents and apostrophes dropped, simple
singular) and matched against every term of the vocabulary, longest term first. Terms only
match whole words: ``doughnut`` is its own dish (wheat, egg, milk), never the tree nut
``nut``; ``nutmeg`` (a seed) matches nothing. Free-from wording lowers a match to
``possible`` but never drops it; in 'dairy-free ice cream' it also lowers the milk of the
food right after it.
"""

from __future__ import annotations

from dataclasses import dataclass

from terminology.allergens.vocabulary import TermPayload, Vocabulary, vocabulary
from terminology.textmatch import (
    CERTAINTY_RANK,
    NEGATION_NOTE,
    Certainty,
    Match,
    said_absent,
    singular,
    tokenise,
)

_LACTOSE = singular("lactose")


@dataclass(frozen=True)
class AllergenHit:
    """One allergen found in a text: which term matched, from which source list, how sure."""

    allergen: str
    name: str
    certainty: Certainty
    matched_text: str
    term: str
    kind: str
    source: str
    citation: str
    note: str
    start: int
    end: int
    groups: tuple[str, ...]
    fda_major: bool
    eu_annex_ii: int | None

    def explain(self) -> str:
        """A one-line reason a person can read."""
        why = f"'{self.matched_text}' -> {self.name} ({self.certainty}; {self.kind} '{self.term}')"
        note = f" - {self.note}" if self.note else ""
        return f"{why}{note}. Source: {self.citation}"


def allergens_in(text: str) -> list[AllergenHit]:
    """Every allergen that ``text`` names or implies, strongest evidence per place, in order."""
    vocab = vocabulary()
    tokens = tokenise(text)
    keys = [token.key for token in tokens]
    best: dict[tuple[str, int, int], AllergenHit] = {}
    denied: dict[int, set[str]] = {}  # token position -> allergens a 'X-free' just before denies
    for match in vocab.index.find_in_tokens(text, tokens):
        allergen = match.payload.allergen
        absent = said_absent(keys, match.first_token, match.last_token) or any(
            vocab.related(allergen, other) for other in denied.get(match.first_token, ())
        )
        if absent and _denies_next(keys, match.first_token, match.last_token):
            denied.setdefault(match.last_token + 2, set()).add(allergen)
        hit = _hit(vocab, match, absent)
        place = (hit.allergen, hit.start, hit.end)
        kept = best.get(place)
        if kept is None or CERTAINTY_RANK[hit.certainty] > CERTAINTY_RANK[kept.certainty]:
            best[place] = hit
    return sorted(best.values(), key=lambda hit: (hit.start, hit.allergen))


def _denies_next(keys: list[str], first: int, last: int) -> bool:
    """'X-free Y': does X deny its allergen in the food Y that follows?

    Not for lactose: lactose-free milk is still milk (the milk proteins remain).
    """
    follows = last + 1 < len(keys) and keys[last + 1] == "free"
    return follows and keys[first : last + 1] != [_LACTOSE]


def allergen_ids(hits: list[AllergenHit]) -> set[str]:
    """The allergens of ``hits`` together with the groups they belong to."""
    return {hit.allergen for hit in hits} | {group for hit in hits for group in hit.groups}


def matches_allergy(allergy: str, hit: AllergenHit) -> bool:
    """True when ``hit`` concerns a patient allergic to vocabulary entry ``allergy``.

    Related entries count both ways: a tree-nut allergy matches an almond hit, and an almond
    allergy matches an unspecified 'nut' hit (it may be almond).
    """
    return vocabulary().related(allergy, hit.allergen)


def allergy_ids(text: str = "", code: str | None = None) -> list[str]:
    """Vocabulary entries for a recorded allergy: by SNOMED CT code, exact name, or its text."""
    vocab = vocabulary()
    found: list[str] = list(vocab.by_snomed(code)) if code else []
    exact = vocab.by_name(text) if text else None
    if exact:
        found.append(exact)
    if text and not found:
        found.extend(hit.allergen for hit in allergens_in(text))
    return list(dict.fromkeys(found))


def _citation(vocab: Vocabulary, source_id: str) -> str:
    source = vocab.sources[source_id]
    return f"{source.title}. {source.citation}"


def _hit(vocab: Vocabulary, match: Match[TermPayload], absent: bool) -> AllergenHit:
    payload = match.payload
    allergen = vocab.allergen(payload.allergen)
    certainty: Certainty = "possible" if absent else payload.certainty
    notes = [note for note in (payload.note, NEGATION_NOTE if absent else "") if note]
    return AllergenHit(
        allergen=allergen.id,
        name=allergen.name,
        certainty=certainty,
        matched_text=match.text,
        term=match.term,
        kind=payload.kind,
        source=payload.source,
        citation=_citation(vocab, payload.source),
        note="; ".join(notes),
        start=match.start,
        end=match.end,
        groups=vocab.ancestors(allergen.id),
        fda_major=allergen.fda_major,
        eu_annex_ii=allergen.eu_annex_ii,
    )
