"""Reads the interaction data files shipped in this package and validates them."""

from __future__ import annotations

from importlib.resources import files
from typing import TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def load_data(name: str, model: type[M]) -> M:
    """Parse ``data/<name>`` of this package with ``model`` (raises on invalid data)."""
    text = files("terminology.interactions").joinpath("data").joinpath(name).read_text("utf-8")
    return model.model_validate_json(text)
