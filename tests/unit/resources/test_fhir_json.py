"""FHIR JSON keeps each decimal as written, and reads what ``json.loads`` reads."""

from __future__ import annotations

import json

import pytest

from resources import fhir_json


def test_decimals_keep_their_text_through_a_round_trip() -> None:
    text = b'{"valueQuantity":{"value":18.00,"unit":"mmol/L"},"n":3,"e":1.50e2}'
    parsed = fhir_json.loads(text)
    assert parsed["valueQuantity"]["value"] == 18.0
    assert fhir_json.dumps(parsed) == text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32"])
def test_bytes_in_any_json_encoding_are_read(encoding: str) -> None:
    document = '{"name":"Zoë","value":1.10}'
    parsed = fhir_json.loads(document.encode(encoding))
    assert parsed == json.loads(document)
    assert parsed["value"].text == "1.10"
    assert fhir_json.loads(document)["name"] == "Zoë"


@pytest.mark.parametrize("bad", [b'{"a": NaN}', b'{"a": Infinity}', "\ufeff{}", b"{", b""])
def test_what_json_loads_refuses_is_refused(bad: bytes | str) -> None:
    with pytest.raises(ValueError, match=r"\w"):  # a message that says what is wrong
        fhir_json.loads(bad)
