"""Meal descriptions to foods of the database: ``analyse_text`` (see ``pipeline``).

No model weights: the text is cut into phrases by rules (``segment``) and each phrase is
matched with the food search of ``terminology.foods`` (``match``); ``evaluate`` measures it
on a labelled set.
"""

from ml_ops.text.pipeline import TextAnalysis, TextItem, UnrecognisedPhrase, analyse_text

__all__ = ["TextAnalysis", "TextItem", "UnrecognisedPhrase", "analyse_text"]
