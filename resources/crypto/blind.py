"""Blind indexes: keyed HMAC-SHA256 digests of PHI search values under the index key.

Equality survives (the same value gives the same digest), order and content do not. Starts-with
string search survives through digests of the prefixes of the normalised value, up to
``MAX_PREFIX`` characters: a value ``ana`` is stored as the digests of ``a``, ``an`` and
``ana`` (together, as one array of 64-bit keys: ``prefix_keys``), and ``name=an`` looks for
the key of ``an``. Every digest is bound to its parameter code and kind, so equal values under
different parameters do not link. Dates are stored as the digests of their calendar year,
month and day, so ``eq`` at those precisions survives. Full-text words (``word_digests``) are
kept as 64-bit keyed BLAKE2b digests: a set of them per resource fits a ``bigint[]`` under a
GIN index.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime, timedelta

from resources.crypto.envelope import KEY_BYTES, CryptoError

MAX_PREFIX = 24
"""The longest starts-with search on a PHI string (longer ones are refused, not guessed)."""
DIGEST_BYTES = 16
"""128 bits of the HMAC: no collisions in practice, shorter index entries."""
WORD_DIGEST_BYTES = 8
"""64 bits for a full-text word: a signed ``bigint``. A search word falsely matches one of a
resource's n words with probability n / 2**64 (see docs/phi-protection.md)."""
KEY_BITS = 64
"""Prefix digests are kept to their first 64 bits, as a signed ``bigint`` (an array of them
under a GIN index). A stored prefix that is not the searched one has the searched key with
probability 2**-64: a search over N stored prefix keys of a domain meets a false match with
probability about N / 2**64 (5e-11 for a billion), and it can never miss a true one."""


def _prefix_message(param: str, prefix: str) -> bytes:
    return f"p\x1f{param}\x1f{prefix}".encode()


def _key(mac: bytes) -> int:
    return int.from_bytes(mac[: KEY_BITS // 8], "big", signed=True)


class BlindIndex:
    """Digests of PHI values under one index key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise CryptoError(f"an index key is {KEY_BYTES} bytes")
        self._key = key
        self._word_key = hmac.digest(key, b"full-text words", "sha256")

    @property
    def key(self) -> bytes:
        """The index key itself (to wrap it again: backups, a new master key)."""
        return self._key

    def digest(self, kind: str, param: str, value: str) -> str:
        """The digest of ``value`` for ``param`` (``kind``: p prefix, x exact, t token, d date)."""
        return self._mac(f"{kind}\x1f{param}\x1f{value}".encode())

    def _mac(self, message: bytes) -> str:
        mac = hmac.digest(self._key, message, "sha256")[:DIGEST_BYTES]
        return base64.urlsafe_b64encode(mac)[:22].decode()  # 16 bytes: 22 characters

    def prefix_key(self, param: str, prefix: str) -> int:
        """The 64-bit key of one prefix (a search value) of ``param``'s normalised values."""
        return _key(hmac.digest(self._key, _prefix_message(param, prefix), "sha256"))

    def prefix_keys(self, param: str, normalised: str) -> list[int]:
        """The keys of the value's prefixes, one to ``MAX_PREFIX`` characters long, shortest
        first (``prefix_key`` of each, the inner hash state carried from one to the next)."""
        text = normalised[:MAX_PREFIX]
        inner = hmac.new(self._key, _prefix_message(param, ""), "sha256")
        keys = []
        for char in text:
            inner.update(char.encode())
            keys.append(_key(inner.copy().digest()))
        return keys

    def word_digests(self, param: str, words: Iterable[str]) -> list[int]:
        """The distinct 64-bit digests of full-text ``words`` of ``param``, as signed integers.

        Keyed BLAKE2b (a PRF like HMAC, and about 5 times cheaper per word: a resource has
        hundreds of words and every write digests them) under ``word_key``, a subkey of the
        index key; the message is ``w``, the parameter and the word, as for ``digest``.
        """
        base = hashlib.blake2b(key=self._word_key, digest_size=WORD_DIGEST_BYTES)
        base.update(f"w\x1f{param}\x1f".encode())
        found: dict[int, None] = {}
        for word in words:
            mac = base.copy()
            mac.update(word.encode())
            found[int.from_bytes(mac.digest(), signed=True)] = None
        return list(found)

    def exact(self, param: str, text: str) -> str:
        """The digest of the value as written, for ``:exact``."""
        return self.digest("x", param, text)

    def token(self, param: str, code: str) -> str:
        """The digest of a token's code (identifier value, phone number, e-mail)."""
        return self.digest("t", param, code)

    def date(self, param: str, calendar: str) -> str:
        """The digest of a calendar date (``1974``, ``1974-12`` or ``1974-12-25``)."""
        return self.digest("d", param, calendar)


def calendar_forms(low: datetime, high: datetime) -> list[str]:
    """The calendar year, month and day that wholly contain ``[low, high)`` (UTC)."""
    last = high - timedelta(microseconds=1)
    forms = []
    if low.year == last.year:
        forms.append(f"{low.year:04d}")
        if low.month == last.month:
            forms.append(f"{low.year:04d}-{low.month:02d}")
            if low.day == last.day:
                forms.append(f"{low.year:04d}-{low.month:02d}-{low.day:02d}")
    return forms


def search_calendar(low: datetime, high: datetime) -> str | None:
    """The calendar form of a search value's range, or None when it is not exactly one year,
    one month or one day (a time of day, or an open range)."""
    if not _midnight(low) or low.year >= 9999:
        return None
    if high == low + timedelta(days=1):
        return f"{low.year:04d}-{low.month:02d}-{low.day:02d}"
    if low.day == 1 and high == _next_month(low):
        return f"{low.year:04d}-{low.month:02d}"
    if (low.month, low.day) == (1, 1) and high == low.replace(year=low.year + 1):
        return f"{low.year:04d}"
    return None


def _midnight(moment: datetime) -> bool:
    return (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)


def _next_month(moment: datetime) -> datetime:
    if moment.month == 12:
        return moment.replace(year=moment.year + 1, month=1)
    return moment.replace(month=moment.month + 1)
