"""The two ways a search request can fail to parse.

A malformed value (a bad date, an unknown prefix, a non-numeric ``_count``) is always a 400
``Invalid``. A parameter, modifier or feature this server does not know or support raises
``Unsupported``: ``parse_search`` turns it into a warning (lenient, the default) or an
``Invalid`` (``Prefer: handling=strict``), dropping the whole parameter either way.
"""

from __future__ import annotations

from resources.error_codes import (
    BAD_PARAMETER,
    FULLTEXT_MODIFIER,
    SEARCH_NOT_SUPPORTED,
    UNKNOWN_PARAMETER,
)
from resources.errors import Invalid


class Unsupported(Exception):
    """A parameter or feature this server does not handle; ``code`` is the NV code."""

    def __init__(self, message: str, code: str = SEARCH_NOT_SUPPORTED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def malformed(name: str, message: str) -> Invalid:
    """A malformed-value error (NV-0023) naming the parameter."""
    return Invalid(f"Search parameter '{name}': {message}", BAD_PARAMETER)


def unknown(name: str, where: str) -> Unsupported:
    """An unknown parameter (NV-0024)."""
    return Unsupported(f"Unknown search parameter '{name}' for {where}", UNKNOWN_PARAMETER)


def unsupported_modifier(name: str, modifier: str) -> Unsupported:
    """A modifier this parameter's type does not have, or that is not supported yet."""
    return Unsupported(f"Search parameter '{name}': the modifier ':{modifier}' is not supported")


def fulltext_modifier(name: str, modifier: str) -> Invalid:
    """A modifier on ``_text``/``_content`` (only ``:missing`` exists there): always a 400, since
    dropping it would widen the search."""
    return Invalid(
        f"Search parameter '{name}': full-text search takes no modifier ':{modifier}'"
        " (only ':missing')",
        FULLTEXT_MODIFIER,
    )
