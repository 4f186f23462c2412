"""Blind index rows: digests of prefixes, whole values, codes and calendar dates."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from resources.crypto import protection
from resources.crypto.blind import MAX_PREFIX, BlindIndex, calendar_forms, search_calendar
from resources.crypto.envelope import new_key
from resources.crypto.keyring import Keyring
from resources.search.index_rows import StringRow, TokenRow, index_rows
from resources.search.values import DateValue, StringValue, TokenValue
from tests.protection_state import protection_as


@pytest.fixture
def blind() -> Iterator[BlindIndex]:
    index = BlindIndex(new_key())
    with protection_as(protection.Protection(Keyring(), index, b"i" * 16)):
        yield index


def test_a_phi_string_becomes_one_row_of_prefix_keys_and_exact_digest(blind: BlindIndex) -> None:
    rows = index_rows("Patient", {"family": [StringValue("rivera", "Rivera")]})
    assert rows.string == []
    keys = tuple(blind.prefix_key("name", "rivera"[:n]) for n in range(1, 7))
    exact = blind.exact("name", "Rivera")  # family, given and name share a domain
    assert rows.token == [TokenRow("family", None, None, exact, None, None, keys)]
    assert len(set(keys)) == len("rivera")
    assert all(-(2**63) <= key < 2**63 for key in keys), "a signed bigint each"


def test_prefix_keys_are_the_first_64_bits_of_the_prefix_digests(blind: BlindIndex) -> None:
    for value in ("rivera", "zoë ñúñez", "李小龙"):
        keys = blind.prefix_keys("name", value)
        assert len(keys) == len(value)
        for n, key in enumerate(keys, start=1):
            digest = base64.urlsafe_b64decode(blind.digest("p", "name", value[:n]) + "==")
            assert key == int.from_bytes(digest[:8], "big", signed=True)
            assert key == blind.prefix_key("name", value[:n])


def test_name_and_address_store_only_what_their_parts_do_not(blind: BlindIndex) -> None:
    family, given, title = (StringValue(t.lower(), t) for t in ("Rivera", "Ana", "Dr"))
    city, line = StringValue("lyon", "Lyon"), StringValue("1 rue", "1 Rue")
    values = {
        "name": [family, given, title],
        "phonetic": [family, given, title],
        "family": [family],
        "given": [given],
        "address": [line, city],
        "address-city": [city],
    }
    rows = index_rows("Patient", values)
    per_param: dict[str, list[int]] = {}
    for row in rows.token:
        per_param.setdefault(row.param, []).append(len(row.prefixes or ()))
    assert per_param == {
        "name": [2], "family": [6], "given": [3], "address": [5], "address-city": [4]
    }  # fmt: skip
    names = [r.prefixes or () for r in rows.token if r.param == "name"]
    assert blind.prefix_key("name", "dr") in names[0]


def test_prefixes_stop_at_the_bound(blind: BlindIndex) -> None:
    long = "a" * (MAX_PREFIX + 10)
    assert len(blind.prefix_keys("address", long)) == MAX_PREFIX


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
    with protection_as("none"):
        rows = index_rows("Patient", {"family": [StringValue("rivera", "Rivera")]})
    assert rows.string == [StringRow("family", "rivera", "Rivera")]
