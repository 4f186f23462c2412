"""Text normalisation and multi-word term matching shared by the knowledge bases."""

from terminology.textmatch.certainty import CERTAINTY_RANK, Certainty, strongest, weakest
from terminology.textmatch.index import Match, TermIndex
from terminology.textmatch.negation import NEGATION_NOTE, said_absent
from terminology.textmatch.normalise import Token, fold, normalise_term, singular, tokenise

__all__ = [
    "CERTAINTY_RANK",
    "NEGATION_NOTE",
    "Certainty",
    "Match",
    "TermIndex",
    "Token",
    "fold",
    "normalise_term",
    "said_absent",
    "singular",
    "strongest",
    "tokenise",
    "weakest",
]
