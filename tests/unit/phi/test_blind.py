"""Blind index rows: digests of prefixes, whole values, codes and calendar dates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from resources.crypto import protection
from resources.crypto.blind import MAX_PREFIX, BlindIndex, calendar_forms, search_calendar
from resources.crypto.envelope import new_key
from resources.crypto.keyring import Keyring
from resources.search.index_rows import StringRow, TokenRow, index_rows
from resources.search.values import DateValue, StringValue, TokenValue


@pytest.fixture
def blind() -> Iterator[BlindIndex]:
    index = BlindIndex(new_key())
    protection.install(protection.Protection(Keyring(), index, b"i" * 16))
    yield index
    protection.uninstall()


def test_a_phi_string_becomes_prefix_and_whole_digests(blind: BlindIndex) -> None:
    rows = index_rows("Patient", {"family": [StringValue("rivera", "Rivera")]})
    assert len(rows.string) == len("rivera") + 1
    assert rows.string[1] == StringRow("family", blind.digest("p", "family", "ri"), "")
    assert rows.string[-1] == StringRow(
        "family", blind.whole("family", "rivera"), blind.exact("family", "Rivera")
    )
    assert all("riv" not in row.normalised.lower() for row in rows.string)


def test_prefixes_stop_at_the_bound(blind: BlindIndex) -> None:
    long = "a" * (MAX_PREFIX + 10)
    assert len(blind.prefixes("address", long)) == MAX_PREFIX


def test_digests_depend_on_parameter_and_key(blind: BlindIndex) -> None:
    assert blind.token("phone", "555") != blind.token("telecom", "555")
    assert blind.token("phone", "555") != BlindIndex(new_key()).token("phone", "555")
    assert blind.token("phone", "555") == blind.token("phone", "555")


def test_tokens_keep_their_system_and_digest_their_code(blind: BlindIndex) -> None:
    rows = index_rows("Patient", {"phone": [TokenValue("phone", "555-0100")]})
    assert rows.token == [
        TokenRow("phone", "phone", blind.token("phone", "555-0100"), None, None, None)
    ]


def test_dates_become_calendar_digests(blind: BlindIndex) -> None:
    day = DateValue(datetime(1970, 5, 17, tzinfo=UTC), datetime(1970, 5, 18, tzinfo=UTC))
    rows = index_rows("Patient", {"birthdate": [day]})
    assert rows.date == []
    codes = [row.code for row in rows.token]
    assert codes == [blind.date("birthdate", f) for f in ("1970", "1970-05", "1970-05-17")]


def test_other_types_and_parameters_stay_plain(blind: BlindIndex) -> None:
    del blind
    rows = index_rows("Organization", {"name": [StringValue("acme", "Acme")]})
    assert rows.string == [StringRow("name", "acme", "Acme")]
    rows = index_rows("Patient", {"gender": [TokenValue(None, "female")]})
    assert rows.token[0].code == "female"


def test_calendar_forms_and_search_precision() -> None:
    low, high = datetime(1970, 5, 1, tzinfo=UTC), datetime(1970, 6, 1, tzinfo=UTC)
    assert calendar_forms(low, high) == ["1970", "1970-05"]
    assert search_calendar(low, high) == "1970-05"
    assert search_calendar(low, datetime(1971, 1, 1, tzinfo=UTC)) is None
    assert search_calendar(datetime(1970, 1, 1, tzinfo=UTC), datetime(1971, 1, 1, tzinfo=UTC)) == (
        "1970"
    )
    minute = datetime(1970, 5, 1, 10, 0, tzinfo=UTC)
    assert search_calendar(minute, minute.replace(minute=1)) is None


def test_without_keys_nothing_is_blinded() -> None:
    rows = index_rows("Patient", {"family": [StringValue("rivera", "Rivera")]})
    assert rows.string == [StringRow("family", "rivera", "Rivera")]
