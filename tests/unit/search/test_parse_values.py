"""Search value syntax, from https://hl7.org/fhir/R4/search.html: escapes, prefixes, date and
number ranges. Every expected range is worked out by hand from the spec's precision rules."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from resources.error_codes import BAD_PARAMETER
from resources.errors import Invalid
from resources.search.parse_values import (
    date_range,
    number_range,
    split_prefix,
    split_unescaped,
    unescape,
)
from resources.search.values import DATE_MAX


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "separator", "parts"),
    [
        ("a,b,c", ",", ["a", "b", "c"]),
        ("a\\,b,c", ",", ["a\\,b", "c"]),
        ("a\\\\,b", ",", ["a\\\\", "b"]),
        ("sys|code", "|", ["sys", "code"]),
        ("sys\\|x|code", "|", ["sys\\|x", "code"]),
        ("a$b\\$c", "$", ["a", "b\\$c"]),
        ("|code", "|", ["", "code"]),
        ("sys|", "|", ["sys", ""]),
        ("", ",", [""]),
        ("trailing\\", ",", ["trailing\\"]),
    ],
)
def test_split_keeps_escaped_separators(text: str, separator: str, parts: list[str]) -> None:
    assert split_unescaped(text, separator) == parts


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("a\\,b", "a,b"),
        ("a\\|b", "a|b"),
        ("a\\$b", "a$b"),
        ("a\\\\b", "a\\b"),
        ("a\\nb", "a\\nb"),  # not one of the escapes: left alone
    ],
)
def test_unescape(text: str, plain: str) -> None:
    assert unescape(text) == plain


@pytest.mark.parametrize("prefix", ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"])
def test_every_prefix_is_read(prefix: str) -> None:
    assert split_prefix("date", f"{prefix}2020") == (prefix, "2020")


def test_no_prefix_means_eq() -> None:
    assert split_prefix("value", "100") == ("eq", "100")
    assert split_prefix("value", "-5") == ("eq", "-5")


@pytest.mark.parametrize("text", ["xx2020", "EQ2020", "e5", "tomorrow", "g", "Gt5"])
def test_leading_letters_that_are_not_a_prefix_are_malformed(text: str) -> None:
    with pytest.raises(Invalid) as caught:
        split_prefix("date", text)
    assert caught.value.nv_code == BAD_PARAMETER


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("2020", utc(2020, 1, 1), utc(2021, 1, 1)),
        ("2020-02", utc(2020, 2, 1), utc(2020, 3, 1)),
        ("2020-12", utc(2020, 12, 1), utc(2021, 1, 1)),
        ("2020-02-29", utc(2020, 2, 29), utc(2020, 3, 1)),
        ("2020-03-14T10:15", utc(2020, 3, 14, 10, 15), utc(2020, 3, 14, 10, 16)),
        ("2020-03-14T10:15:30Z", utc(2020, 3, 14, 10, 15, 30), utc(2020, 3, 14, 10, 15, 31)),
        (
            "2020-03-14T10:15:30.5Z",
            utc(2020, 3, 14, 10, 15, 30, 500000),
            utc(2020, 3, 14, 10, 15, 30, 600000),
        ),
        (
            "2020-03-14T10:15:30.123Z",
            utc(2020, 3, 14, 10, 15, 30, 123000),
            utc(2020, 3, 14, 10, 15, 30, 124000),
        ),
        # +10:00 is ten hours ahead of UTC: 10:00 there is 00:00 UTC.
        ("2020-03-14T10:00:00+10:00", utc(2020, 3, 14), utc(2020, 3, 14, 0, 0, 1)),
        ("2020-03-14T22:30:00-02:00", utc(2020, 3, 15, 0, 30), utc(2020, 3, 15, 0, 30, 1)),
        # no time zone: UTC, as the index side assumes for stored values
        ("2020-03-14T10:15:30", utc(2020, 3, 14, 10, 15, 30), utc(2020, 3, 14, 10, 15, 31)),
        # a '+' sent unencoded arrives as a space
        ("2020-03-14T10:00:00 10:00", utc(2020, 3, 14), utc(2020, 3, 14, 0, 0, 1)),
        ("9999", utc(9999, 1, 1), DATE_MAX),
    ],
)
def test_date_ranges_by_precision(text: str, low: datetime, high: datetime) -> None:
    assert date_range("date", text) == (low, high)


@pytest.mark.parametrize(
    "text",
    ["2020-13", "2020-02-30", "2020-01-01T10", "20", "2020/01/01", "today", "", "2020-1-1"],
)
def test_bad_dates_are_malformed(text: str) -> None:
    with pytest.raises(Invalid) as caught:
        date_range("date", text)
    assert caught.value.nv_code == BAD_PARAMETER
    assert "date" in caught.value.message


@pytest.mark.parametrize(
    ("text", "value", "low", "high"),
    [
        # the spec's examples: 100 is [99.5, 100.5), 100.00 is [99.995, 100.005)
        ("100", "100", "99.5", "100.5"),
        ("100.00", "100.00", "99.995", "100.005"),
        # 1e2 has one significant figure: half a unit of 10^2 either side (numbers.py agrees)
        ("1e2", "1E+2", "50", "150"),
        ("0.5", "0.5", "0.45", "0.55"),
        ("-5", "-5", "-5.5", "-4.5"),
        ("2.50e-1", "0.250", "0.2495", "0.2505"),
        ("0", "0", "-0.5", "0.5"),
    ],
)
def test_number_precision_ranges(text: str, value: str, low: str, high: str) -> None:
    assert number_range("value", text) == (Decimal(value), Decimal(low), Decimal(high))


def test_number_precision_is_exact_decimal_arithmetic() -> None:
    _, low, high = number_range("value", "0.1")
    assert (low, high) == (Decimal("0.05"), Decimal("0.15"))
    assert str(low) == "0.05"


@pytest.mark.parametrize(
    "text", ["abc", "NaN", "Infinity", "1e", "100.", "0x10", "1,5", "", ".5", "+7", "007", "1 0"]
)
def test_non_numbers_are_malformed(text: str) -> None:
    with pytest.raises(Invalid) as caught:
        number_range("value", text)
    assert caught.value.nv_code == BAD_PARAMETER
