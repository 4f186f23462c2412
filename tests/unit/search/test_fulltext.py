"""Full-text words (``_text``, ``_content``) and their stored form: keyed 64-bit digests."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import pytest

from conformance.capability_statement import capability_statement
from resources.crypto import protection
from resources.crypto.blind import BlindIndex
from resources.crypto.envelope import new_key
from resources.crypto.keyring import Keyring
from resources.error_codes import FULLTEXT_MODIFIER
from resources.errors import Invalid
from resources.search.extract import extract_all
from resources.search.fulltext import (
    MAX_SEARCH_WORDS,
    MAX_WORD_CHARS,
    MAX_WORDS,
    fold,
    fulltext_values,
    search_words,
    words,
)
from resources.search.index_rows import PLAIN_WORDS, TextRow, index_rows
from resources.search.parse import parse_search
from resources.search.query import AllOf, AnyOf, Missing, TextMatch
from resources.search.registry import default_registry
from resources.search.strings import normalise
from resources.search.values import WordsValue
from tests.protection_state import protection_as

DIV = '<div xmlns="http://www.w3.org/1999/xhtml"><p>Crème&nbsp;<b>Brûlée</b>&amp;co</p></div>'
OBSERVATION = {
    "resourceType": "Observation",
    "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "8302-2"}], "text": "Height"},
    "text": {"status": "generated", "div": DIV},
    "valueQuantity": {"value": 180, "unit": "cm"},
    "presentedForm": [{"data": "SGVsbG8gd29ybGQ=", "title": "Scan"}],
}


@pytest.fixture
def blind() -> Iterator[BlindIndex]:
    index = BlindIndex(new_key())
    with protection_as(protection.Protection(Keyring(), index, b"i" * 16)):
        yield index


def test_words_are_folded_runs_of_letters_and_digits() -> None:
    assert words("Crème-Brûlée, O'Brien_x 8302-2 ÉCOLE") == [
        "creme", "brulee", "o", "brien", "x", "8302", "2", "ecole",
    ]  # fmt: skip
    assert words("a" * 100) == ["a" * MAX_WORD_CHARS, "a" * (100 - MAX_WORD_CHARS)]
    assert words("Ἀθῆναι_2 ß·x") == ["αθηναι", "2", "ß", "x"]
    assert words("é" * 130) == ["e" * 64, "e" * 64, "ee"]
    assert words("Ωmega" * 20) == [("ωmega" * 13)[:64], ("ωmega" * 20)[64:]]


@pytest.mark.parametrize(
    "text",
    ["Plain ASCII", "Crème Brûlée", "ÅNGSTRÖM ﬁ ½ Ⅻ", "Ἀθῆναι", "İstanbul ǅ", "a\u0301\U0001d165b"],
)
def test_fold_is_the_string_search_normalisation(text: str) -> None:
    assert fold(text) == normalise(text)


def test_text_reads_the_narrative_content_every_string() -> None:
    (text,) = fulltext_values(OBSERVATION, "_text")
    assert text == WordsValue(("creme", "brulee", "co"))
    (content,) = fulltext_values(OBSERVATION, "_content")
    assert {"observation", "final", "http", "loinc", "org", "8302", "height", "cm"} <= set(
        content.words
    )
    assert {"creme", "brulee", "generated", "scan"} <= set(content.words)
    assert not {"div", "xmlns", "www", "nbsp", "amp", "180", "sgvsbg8gd29ybgq"} & set(content.words)
    assert fulltext_values({"resourceType": "Basic"}, "_text") == []


def test_extract_all_gives_the_words_of_both() -> None:
    found = extract_all(OBSERVATION)
    assert found["_text"] == fulltext_values(OBSERVATION, "_text")
    assert found["_content"] == fulltext_values(OBSERVATION, "_content")


def test_a_huge_resource_keeps_the_first_distinct_words() -> None:
    huge = {"resourceType": "Basic", "note": [f"w{n} w{n}" for n in range(3 * MAX_WORDS)]}
    (value,) = fulltext_values(huge, "_content")
    assert len(value.words) == MAX_WORDS
    assert value.words[:3] == ("basic", "w0", "w1")


def test_search_words_are_distinct_and_bounded() -> None:
    assert search_words("_text", "Fish fish, CHIPS") == ("fish", "chips")
    with pytest.raises(Invalid):
        search_words("_text", "-- !")
    with pytest.raises(Invalid):
        search_words("_text", " ".join(f"w{n}" for n in range(MAX_SEARCH_WORDS + 1)))


def test_rows_hold_keyed_digests_per_parameter(blind: BlindIndex) -> None:
    rows = index_rows("Observation", {"_text": [WordsValue(("fish", "chips"))]})
    (row,) = rows.text
    word_key = hmac.digest(blind.key, b"full-text words", "sha256")
    mac = hashlib.blake2b(b"w\x1f_text\x1ffish", key=word_key, digest_size=8).digest()
    assert row == TextRow("_text", (int.from_bytes(mac, signed=True), row.words[1]))
    assert len(set(row.words)) == 2
    assert blind.word_digests("_content", ["fish"])[0] not in row.words
    assert not set(PLAIN_WORDS.word_digests("_text", ["fish", "chips"])) & set(row.words)
    assert rows.string == []
    assert rows.token == []


def test_without_protection_the_public_key_digests() -> None:
    with protection_as("off"):
        (row,) = index_rows("Patient", {"_content": [WordsValue(("ann",))]}).text
    assert row.words == tuple(PLAIN_WORDS.word_digests("_content", ["ann"]))


def test_capability_statement_advertises_full_text() -> None:
    statement = capability_statement("https://fhir.example.org/fhir", "2024-01-01T00:00:00Z")
    names = {
        entry["type"]: {p["name"] for p in entry["searchParam"]}
        for entry in statement["rest"][0]["resource"]
    }
    assert {"_text", "_content"} <= names["Observation"]
    assert {"_text", "_content"} <= names["Patient"]
    assert "_content" in names["Binary"]
    assert "_text" not in names["Binary"]


def test_parse_gives_all_words_per_value_or_between_values() -> None:
    registry = default_registry()
    text = registry.get("Observation", "_text")
    content = registry.get("Observation", "_content")
    assert text is not None
    assert content is not None
    query = parse_search(
        ("Observation",),
        [("_text", "Fish CHIPS fish,crème"), ("_content", "peas"), ("_text:missing", "true")],
        registry,
    )
    assert query.where == AllOf(
        (
            AnyOf((TextMatch(text, ("fish", "chips")), TextMatch(text, ("creme",)))),
            TextMatch(content, ("peas",)),
            Missing(text, True),
        )
    )
    assert query.warnings == ()
    for name in ("_text:exact", "_content:text", "_content:not"):
        with pytest.raises(Invalid) as raised:
            parse_search(("Observation",), [(name, "fish")], registry)
        assert raised.value.nv_code == FULLTEXT_MODIFIER


def test_repeated_texts_give_the_words_of_their_first_place() -> None:
    """Texts met again are split once; the words and their order are those of every text in
    document order, the first ``MAX_WORDS`` distinct ones kept."""
    notes = ["Alpha beta", "alpha beta", "Alpha beta", "gamma"]
    resource = {"resourceType": "Basic", "note": [*notes, *[f"x{n}" for n in range(MAX_WORDS)]]}
    (value,) = fulltext_values(resource, "_content")
    expected = ["basic", "alpha", "beta", "gamma", *[f"x{n}" for n in range(MAX_WORDS)]]
    assert value.words == tuple(expected[:MAX_WORDS])
