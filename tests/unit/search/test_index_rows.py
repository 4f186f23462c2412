"""The seam from extracted values to index rows: one table per parameter type."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from resources.search.index_rows import (
    CompositeRow,
    DateRow,
    IndexRows,
    NumberRow,
    QuantityRow,
    ReferenceRow,
    StringRow,
    TokenRow,
    UriRow,
    index_rows,
)
from resources.search.values import (
    CompositeValue,
    DateValue,
    IndexValue,
    NumberValue,
    QuantityValue,
    ReferenceValue,
    StringValue,
    TokenValue,
    UriValue,
)

LOW = datetime(2020, 1, 1, tzinfo=UTC)
HIGH = datetime(2020, 1, 2, tzinfo=UTC)
D = Decimal


def test_each_value_type_goes_to_its_table() -> None:
    values: dict[str, list[IndexValue]] = {
        "name": [StringValue("zoe", "Zoë")],
        "code": [TokenValue("s", "c", "Crème Brûlée", "ts", "tc"), TokenValue(None, "x")],
        "date": [DateValue(LOW, HIGH)],
        "probability": [NumberValue(D("0.5"), D("1.5"), D("1"))],
        "value-quantity": [QuantityValue(D("1"), D("2"), None, "u", "mg", "mg")],
        "subject": [ReferenceValue("Patient", "1", None, None, None, None)],
        "url": [UriValue("http://x")],
    }
    rows = index_rows("Observation", values)
    assert rows == IndexRows(
        string=[StringRow("name", "zoe", "Zoë")],
        token=[
            TokenRow("code", "s", "c", "creme brulee", "ts", "tc"),
            TokenRow("code", None, "x", None, None, None),
        ],
        date=[DateRow("date", LOW, HIGH)],
        number=[NumberRow("probability", D("0.5"), D("1.5"), D("1"))],
        quantity=[QuantityRow("value-quantity", D("1"), D("2"), None, "u", "mg", "mg")],
        reference=[ReferenceRow("subject", "Patient", "1", None, None, None, None)],
        uri=[UriRow("url", "http://x")],
    )
    assert len(rows) == 8


def test_composite_rows_hold_their_parts() -> None:
    pair = CompositeValue((TokenValue("s", "c"), DateValue(LOW, HIGH)))
    rows = index_rows("Observation", {"code-value-date": [pair]})
    assert rows.composite == [
        CompositeRow(
            "code-value-date",
            (
                TokenRow("code-value-date", "s", "c", None, None, None),
                DateRow("code-value-date", LOW, HIGH),
            ),
        )
    ]
    assert len(rows) == 1


def test_no_values_no_rows() -> None:
    assert len(index_rows("Patient", {})) == 0
