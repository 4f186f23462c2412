"""The search time limit (``search_timeout_s``) wherever a search runs.

The store's own searches run on a pool whose connections carry ``statement_timeout``
(``FastReader``). A conditional write's search (``If-None-Exist``, conditional update,
patch and delete) and a transaction's searches (a Bundle's GET entries, its conditional
references) run inside a write transaction: there the limit is set with ``SET LOCAL`` when
the first search begins and holds to the transaction's end. PostgreSQL cancels a statement
past it, and the request is answered 503 ``too-costly``, the transaction rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.exc import DBAPIError

from resources import error_codes
from resources.errors import TooCostly


def milliseconds(seconds: float) -> int:
    """``statement_timeout`` for a limit in seconds (0: none; else at least 1 ms)."""
    return max(1, round(seconds * 1000)) if seconds > 0 else 0


def was_stopped(error: BaseException) -> bool:
    """Whether PostgreSQL cancelled the statement (its timeout, or a cancel request)."""
    return isinstance(getattr(error, "orig", error), psycopg.errors.QueryCanceled)


@contextmanager
def answered_as_too_costly(what: str) -> Iterator[None]:
    """A statement cancelled inside the block becomes ``TooCostly`` naming ``what``."""
    try:
        yield
    except (psycopg.errors.QueryCanceled, DBAPIError) as error:
        if not was_stopped(error):
            raise
        raise TooCostly(
            f"{what} ran past the server's time limit and was stopped; narrower criteria "
            "(a patient, a code, a date range) or a smaller _count may finish",
            error_codes.SEARCH_TIMED_OUT,
        ) from None
