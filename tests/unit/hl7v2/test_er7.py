"""Reading ER7: separators, BOM, encoding characters, escapes, repetitions, Z-segments."""

from __future__ import annotations

import pytest

from operations.hl7v2.er7 import Encoding, escape, parse, unescape
from operations.hl7v2.problems import Hl7Problem

SEGMENTS = [
    "MSH|^~\\&|APP|FAC|NV|NV|20260101120000+0100||ADT^A01^ADT_A01|C1|P|{version}",
    "PID|1||111^^^HOSP^MR~222^^^&1.2.3&ISO^SS||DOE^JANE^Q~SMITH^J^^^^^M||19800102|F",
    "ZPI|custom|data^with^parts",
    "NTE|1||a \\F\\ b \\S\\ c \\T\\ d \\R\\ e \\E\\ f\\.br\\g \\X41\\",
]


@pytest.mark.parametrize("separator", ["\r", "\n", "\r\n"])
@pytest.mark.parametrize("version", ["2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.8"])
def test_versions_and_segment_separators(separator: str, version: str) -> None:
    text = separator.join(SEGMENTS).format(version=version) + separator
    message = parse(text.encode())
    assert message.version == version
    assert [s.name for s in message] == ["MSH", "PID", "ZPI", "NTE"]
    assert (message.message_code, message.trigger, message.control_id) == ("ADT", "A01", "C1")


def test_bom_and_repetitions() -> None:
    message = parse(("\ufeff" + "\n".join(SEGMENTS).format(version="2.5")).encode())
    pid = message.one("PID")
    assert pid is not None
    assert [r[1].text for r in pid.reps(3)] == ["111", "222"]
    assert pid.reps(3)[1][4][2].text == "1.2.3"
    assert [r[1].text for r in pid.reps(5)] == ["DOE", "SMITH"]


def test_escape_sequences_are_read() -> None:
    nte = parse("\r".join(SEGMENTS).format(version="2.5")).one("NTE")
    assert nte is not None
    assert nte.get(3) == "a | b ^ c & d ~ e \\ f\ng A"


def test_escape_is_the_inverse_of_unescape() -> None:
    enc = Encoding()
    text = "a|b^c&d~e\\f\ng"
    assert unescape(escape(text, enc), enc) == text


def test_custom_encoding_characters() -> None:
    text = "MSH#*@!%#APP#FAC#NV#NV#2026##ADT*A08#C2#P#2.5\rPID#1##9*8**HOSP#**#DOE*JO@ROE*AL"
    message = parse(text)
    pid = message.one("PID")
    assert pid is not None
    assert message.trigger == "A08"
    assert pid.get(3, 4) == "HOSP"
    assert [r[1].text for r in pid.reps(5)] == ["DOE", "ROE"]


def test_truncation_character_of_v27_is_accepted() -> None:
    message = parse("MSH|^~\\&#|APP|FAC|NV|NV|2026||ORU^R01|C3|P|2.5.1\rPID|1||1^^^H^MR")
    assert message.control_id == "C3"


@pytest.mark.parametrize(
    ("text", "field", "ack"),
    [
        ("PID|1||x", 1, "AR"),
        ("MSH|^^\\&|A|B|C|D|2026||ADT^A01|X|P|2.5", 2, "AR"),
        ("MSH|^~\\&|A|B|C|D|2026||ADT^A01|X|P|1.0", 12, "AR"),
        ("MSH|^~\\&|A|B|C|D|2026||ADT^A01||P|2.5", 10, "AR"),
        ("MSH|^~\\&|A|B|C|D|2026||ADT^A01|X|P|2.5\rP!D|1", 0, "AE"),
    ],
)
def test_broken_headers_and_segments(text: str, field: int, ack: str) -> None:
    with pytest.raises(Hl7Problem) as caught:
        parse(text)
    assert (caught.value.field, caught.value.ack) == (field, ack)
