"""Ids, ETags and instants."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from resources import error_codes
from resources.errors import Invalid
from resources.identity import check_id, etag, instant, new_id, now, parse_etag


def test_new_ids_are_distinct_valid_uuids() -> None:
    ids = {new_id() for _ in range(100)}
    assert len(ids) == 100
    for value in ids:
        assert str(uuid.UUID(value)) == value
        assert check_id(value) == value


@pytest.mark.parametrize("value", ["a", "example", "A-1.b", "0" * 64, "123"])
def test_check_id_accepts_fhir_ids(value: str) -> None:
    assert check_id(value) == value


@pytest.mark.parametrize(
    "value", ["", "a" * 65, "has space", "under_score", "slash/x", "ünï", "a\n", "$op"]
)
def test_check_id_refuses_others(value: str) -> None:
    with pytest.raises(Invalid) as caught:
        check_id(value)
    assert caught.value.nv_code == error_codes.INVALID_ID
    assert caught.value.status == 400


@pytest.mark.parametrize("version", [1, 2, 10, 12345])
def test_etag_round_trips(version: int) -> None:
    assert etag(version) == f'W/"{version}"'
    assert parse_etag(etag(version)) == version


@pytest.mark.parametrize(("value", "version"), [('"7"', 7), ('  W/"8" ', 8), ('W/"0"', 0)])
def test_parse_etag_accepts_strong_weak_and_padding(value: str, version: int) -> None:
    assert parse_etag(value) == version


@pytest.mark.parametrize(
    "value", ["", "1", "W/1", 'W/"a"', 'W/""', '"1', 'w/"1"', 'W/"1", W/"2"', "*", 'W/"-1"']
)
def test_parse_etag_refuses_bad_values(value: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_etag(value)
    assert caught.value.nv_code == error_codes.BAD_ETAG


def test_now_is_aware_utc() -> None:
    moment = now()
    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - moment) < timedelta(seconds=5)


def test_instant_is_utc_with_z() -> None:
    moment = datetime(2024, 3, 1, 12, 30, 5, 123456, tzinfo=UTC)
    assert instant(moment) == "2024-03-01T12:30:05.123456Z"
    plus_two = moment.astimezone(timezone(timedelta(hours=2)))
    assert instant(plus_two) == "2024-03-01T12:30:05.123456Z"
    assert instant(datetime(2024, 3, 1, tzinfo=UTC)) == "2024-03-01T00:00:00.000000Z"
