"""Filter parameters per type and modifier (https://hl7.org/fhir/R4/search.html#ptypes).

Each test builds the exact tree the spec's text implies, ranges worked out by hand, and
compares it with the parser's output.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from resources.error_codes import BAD_PARAMETER, SEARCH_NOT_SUPPORTED
from resources.errors import Invalid
from resources.search.param_def import SearchParamDef
from resources.search.parse import parse_search
from resources.search.query import (
    AllOf,
    AnyOf,
    CompositeMatch,
    DateMatch,
    Expr,
    IdMatch,
    LastUpdatedMatch,
    Missing,
    Not,
    NumberMatch,
    QuantityMatch,
    ReferenceMatch,
    StringMatch,
    TokenMatch,
    UriMatch,
)
from resources.search.registry import default_registry

REGISTRY = default_registry()
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"


def param(resource_type: str, code: str) -> SearchParamDef:
    found = REGISTRY.get(resource_type, code)
    assert found is not None, (resource_type, code)
    return found


def only(resource_type: str, name: str, value: str) -> Expr:
    query = parse_search((resource_type,), [(name, value)], REGISTRY, strict=True)
    assert len(query.where.items) == 1, query.where
    return query.where.items[0]


def invalid(resource_type: str, name: str, value: str, *, strict: bool = False) -> Invalid:
    with pytest.raises(Invalid) as caught:
        parse_search((resource_type,), [(name, value)], REGISTRY, strict=strict)
    return caught.value


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- string ---------------------------------------------------------------------------------

NAME = param("Patient", "name")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("name", "Peter", StringMatch(NAME, "peter", "starts")),
        ("name", "Évé", StringMatch(NAME, "eve", "starts")),  # case- and accent-insensitive
        ("name:exact", "Évé", StringMatch(NAME, "Évé", "exact")),  # exactly as written
        ("name:contains", "ETE", StringMatch(NAME, "ete", "contains")),
        ("name", "a\\,b", StringMatch(NAME, "a,b", "starts")),  # escaped comma: one value
        ("name", "a\\$b\\|c", StringMatch(NAME, "a$b|c", "starts")),
    ],
)
def test_string(name: str, value: str, expected: Expr) -> None:
    assert only("Patient", name, value) == expected


def test_string_comma_is_or_and_repeat_is_and() -> None:
    query = parse_search(("Patient",), [("name", "a,B"), ("name", "c")], REGISTRY)
    assert query.where == AllOf(
        (
            AnyOf((StringMatch(NAME, "a"), StringMatch(NAME, "b"))),
            StringMatch(NAME, "c"),
        )
    )


def test_empty_items_of_a_comma_list_are_dropped() -> None:
    assert only("Patient", "name", "a,,b,") == AnyOf(
        (StringMatch(NAME, "a"), StringMatch(NAME, "b"))
    )


# --- token ----------------------------------------------------------------------------------

CODE = param("Observation", "code")
IDENTIFIER = param("Patient", "identifier")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234-5", TokenMatch(CODE, None, "1234-5")),  # any system
        (f"{LOINC}|1234-5", TokenMatch(CODE, LOINC, "1234-5")),
        ("|1234-5", TokenMatch(CODE, None, "1234-5", no_system=True)),  # no system only
        (f"{LOINC}|", TokenMatch(CODE, LOINC, None)),  # any code in the system
        ("a\\|b", TokenMatch(CODE, None, "a|b")),
        ("sys\\|x|a\\,b", TokenMatch(CODE, "sys|x", "a,b")),
    ],
)
def test_token_forms(value: str, expected: Expr) -> None:
    assert only("Observation", "code", value) == expected


def test_token_boolean() -> None:
    assert only("Patient", "active", "true") == TokenMatch(param("Patient", "active"), None, "true")


def test_token_text_is_normalised() -> None:
    expected = TokenMatch(CODE, None, None, mode="text", text="systolic bp")
    assert only("Observation", "code:text", "Systolic BP") == expected


def test_token_not_is_no_value_matches_any() -> None:
    assert only("Observation", "code:not", "a") == Not(TokenMatch(CODE, None, "a"))
    assert only("Observation", "code:not", f"{LOINC}|a,b") == Not(
        AnyOf((TokenMatch(CODE, LOINC, "a"), TokenMatch(CODE, None, "b")))
    )


def test_token_of_type() -> None:
    v2 = "http://terminology.hl7.org/CodeSystem/v2-0203"
    expected = TokenMatch(
        IDENTIFIER, None, "446053", mode="of-type", type_system=v2, type_code="MR"
    )
    assert only("Patient", "identifier:of-type", f"{v2}|MR|446053") == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("code", "|"),
        ("code", "a|b|c"),
        ("identifier:of-type", "MR|446053"),
        ("identifier:of-type", "|MR|446053"),
        ("identifier:of-type", "a|b|c|d"),
    ],
)
def test_malformed_tokens(name: str, value: str) -> None:
    resource_type = "Patient" if name.startswith("identifier") else "Observation"
    assert invalid(resource_type, name, value).nv_code == BAD_PARAMETER


@pytest.mark.parametrize("modifier", ["exact"])
def test_token_modifiers_not_supported(modifier: str) -> None:
    name = f"code:{modifier}"
    query = parse_search(("Observation",), [(name, "http://x/vs")], REGISTRY)
    assert query.where == AllOf(())
    assert query.warnings == (
        f"Search parameter '{name}': the modifier ':{modifier}' is not supported",
    )
    assert invalid("Observation", name, "x", strict=True).nv_code == SEARCH_NOT_SUPPORTED


# --- date -----------------------------------------------------------------------------------

DATE = param("Observation", "date")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020", DateMatch(DATE, "eq", utc(2020, 1, 1), utc(2021, 1, 1))),
        ("eq2020-02", DateMatch(DATE, "eq", utc(2020, 2, 1), utc(2020, 3, 1))),
        ("ne2020-02-29", DateMatch(DATE, "ne", utc(2020, 2, 29), utc(2020, 3, 1))),
        ("gt2013-03-14", DateMatch(DATE, "gt", utc(2013, 3, 14), utc(2013, 3, 15))),
        (
            "lt2013-03-14T10:00Z",
            DateMatch(DATE, "lt", utc(2013, 3, 14, 10), utc(2013, 3, 14, 10, 1)),
        ),
        (
            "ge2013-03-14T10:00:00+10:00",
            DateMatch(DATE, "ge", utc(2013, 3, 14), utc(2013, 3, 14, 0, 0, 1)),
        ),
        (
            "le2013-03-14T10:00:00",
            DateMatch(DATE, "le", utc(2013, 3, 14, 10), utc(2013, 3, 14, 10, 0, 1)),
        ),
        ("sa2013", DateMatch(DATE, "sa", utc(2013, 1, 1), utc(2014, 1, 1))),
        ("eb2013", DateMatch(DATE, "eb", utc(2013, 1, 1), utc(2014, 1, 1))),
        ("ap2013-06", DateMatch(DATE, "ap", utc(2013, 6, 1), utc(2013, 7, 1))),
    ],
)
def test_date_prefixes_and_precision(value: str, expected: Expr) -> None:
    assert only("Observation", "date", value) == expected


def test_date_range_by_repeat() -> None:
    query = parse_search(
        ("Observation",), [("date", "ge2020-01-01"), ("date", "lt2020-02-01")], REGISTRY
    )
    assert query.where == AllOf(
        (
            DateMatch(DATE, "ge", utc(2020, 1, 1), utc(2020, 1, 2)),
            DateMatch(DATE, "lt", utc(2020, 2, 1), utc(2020, 2, 2)),
        )
    )


@pytest.mark.parametrize("value", ["2020-13", "xx2020", "GT2020", "2020-02-30", "yesterday", "ge"])
def test_malformed_dates(value: str) -> None:
    error = invalid("Observation", "date", value)
    assert error.nv_code == BAD_PARAMETER
    assert error.status == 400


def test_date_has_no_modifiers_but_missing() -> None:
    query = parse_search(("Observation",), [("date:exact", "2020")], REGISTRY)
    assert query.where == AllOf(())
    assert query.warnings == (
        "Search parameter 'date:exact': the modifier ':exact' is not supported",
    )


# --- number ---------------------------------------------------------------------------------

PROBABILITY = param("RiskAssessment", "probability")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("100", NumberMatch(PROBABILITY, "eq", Decimal(100), Decimal("99.5"), Decimal("100.5"))),
        (
            "100.00",
            NumberMatch(
                PROBABILITY, "eq", Decimal("100.00"), Decimal("99.995"), Decimal("100.005")
            ),
        ),
        ("1e2", NumberMatch(PROBABILITY, "eq", Decimal(100), Decimal(50), Decimal(150))),
        ("lt100", NumberMatch(PROBABILITY, "lt", Decimal(100), Decimal("99.5"), Decimal("100.5"))),
        ("ge0.8", NumberMatch(PROBABILITY, "ge", Decimal("0.8"), Decimal("0.75"), Decimal("0.85"))),
        ("ne-1", NumberMatch(PROBABILITY, "ne", Decimal(-1), Decimal("-1.5"), Decimal("-0.5"))),
        ("ap5", NumberMatch(PROBABILITY, "ap", Decimal(5), Decimal("4.5"), Decimal("5.5"))),
    ],
)
def test_number(value: str, expected: NumberMatch) -> None:
    assert only("RiskAssessment", "probability", value) == expected


@pytest.mark.parametrize("value", ["abc", "gtx", "xx5", "NaN", "1e", "5mg"])
def test_malformed_numbers(value: str) -> None:
    assert invalid("RiskAssessment", "probability", value).nv_code == BAD_PARAMETER


# --- quantity -------------------------------------------------------------------------------

VALUE_QUANTITY = param("Observation", "value-quantity")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            f"5.4|{UCUM}|mg",
            QuantityMatch(
                VALUE_QUANTITY, "eq", Decimal("5.4"), Decimal("5.35"), Decimal("5.45"), UCUM, "mg"
            ),
        ),
        (
            "le5.4||mg",
            QuantityMatch(
                VALUE_QUANTITY, "le", Decimal("5.4"), Decimal("5.35"), Decimal("5.45"), None, "mg"
            ),
        ),
        (
            "gt5.4",
            QuantityMatch(VALUE_QUANTITY, "gt", Decimal("5.4"), Decimal("5.35"), Decimal("5.45")),
        ),
        (
            f"ap5.40e-3|{UCUM}|g",
            QuantityMatch(
                VALUE_QUANTITY,
                "ap",
                Decimal("0.00540"),
                Decimal("0.005395"),
                Decimal("0.005405"),
                UCUM,
                "g",
            ),
        ),
        (
            "5||mm[Hg]\\|x",
            QuantityMatch(
                VALUE_QUANTITY, "eq", Decimal(5), Decimal("4.5"), Decimal("5.5"), None, "mm[Hg]|x"
            ),
        ),
    ],
)
def test_quantity(value: str, expected: Expr) -> None:
    assert only("Observation", "value-quantity", value) == expected


@pytest.mark.parametrize("value", ["5.4|mg", "x|a|b", "5.4|a|b|c", "kg5"])
def test_malformed_quantities(value: str) -> None:
    assert invalid("Observation", "value-quantity", value).nv_code == BAD_PARAMETER


# --- reference ------------------------------------------------------------------------------

SUBJECT = param("Observation", "subject")  # Group, Device, Patient, Location
ENCOUNTER = param("Observation", "encounter")  # Encounter, EpisodeOfCare
ORGANIZATION = param("Patient", "organization")  # Organization only


@pytest.mark.parametrize(
    ("resource_type", "name", "value", "expected"),
    [
        ("Observation", "subject", "Patient/123", ReferenceMatch(SUBJECT, "Patient", "123")),
        (
            "Observation",
            "subject",
            "Patient/123/_history/2",
            ReferenceMatch(SUBJECT, "Patient", "123", version="2"),
        ),
        ("Observation", "subject:Patient", "123", ReferenceMatch(SUBJECT, "Patient", "123")),
        (
            "Observation",
            "subject:Patient",
            "Patient/123",
            ReferenceMatch(SUBJECT, "Patient", "123"),
        ),
        # several targets and no :Type: the type stays open
        ("Observation", "subject", "123", ReferenceMatch(SUBJECT, None, "123")),
        ("Observation", "encounter", "e1", ReferenceMatch(ENCOUNTER, None, "e1")),
        # a single target supplies the type
        ("Patient", "organization", "o1", ReferenceMatch(ORGANIZATION, "Organization", "o1")),
        (
            "Observation",
            "subject",
            "http://example.org/fhir/Patient/123",
            ReferenceMatch(SUBJECT, "Patient", "123", "http://example.org/fhir/Patient/123"),
        ),
        (
            "Observation",
            "subject",
            "http://example.org/fhir/Patient/123/_history/4",
            ReferenceMatch(
                SUBJECT, "Patient", "123", "http://example.org/fhir/Patient/123/_history/4", "4"
            ),
        ),
        (
            "Observation",
            "subject",
            "urn:uuid:3c2a0f8a-1d6b-4d8e-9d2a-1f0c0e6b7a11",
            ReferenceMatch(SUBJECT, url="urn:uuid:3c2a0f8a-1d6b-4d8e-9d2a-1f0c0e6b7a11"),
        ),
        (
            "Observation",
            "subject:identifier",
            "http://hospital.example/mrn|12345",
            ReferenceMatch(
                SUBJECT, identifier_system="http://hospital.example/mrn", identifier_value="12345"
            ),
        ),
        (
            "Observation",
            "subject:identifier",
            "12345",
            ReferenceMatch(SUBJECT, identifier_value="12345"),
        ),
    ],
)
def test_reference(resource_type: str, name: str, value: str, expected: Expr) -> None:
    assert only(resource_type, name, value) == expected


def test_canonical_reference_with_version() -> None:
    questionnaire = param("QuestionnaireResponse", "questionnaire")
    url = "http://example.org/Questionnaire/phq-9"
    assert only("QuestionnaireResponse", "questionnaire", f"{url}|2.0") == ReferenceMatch(
        questionnaire, url=url, version="2.0"
    )
    assert only("QuestionnaireResponse", "questionnaire", f"{url}|") == ReferenceMatch(
        questionnaire, url=url
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("subject", "a/b/c"),
        ("subject", "a|b|c"),
        ("subject", "has space"),
        ("subject:Patient", "Group/1"),  # the value contradicts the modifier
        ("subject:Medication", "1"),  # not a target of subject
        ("subject:identifier", "a|b|c"),
        ("subject:identifier", "|"),
    ],
)
def test_malformed_references(name: str, value: str) -> None:
    assert invalid("Observation", name, value).nv_code == BAD_PARAMETER


@pytest.mark.parametrize("modifier", ["above", "below", "NotAType"])
def test_reference_modifiers_not_supported(modifier: str) -> None:
    assert invalid("Observation", f"subject:{modifier}", "1", strict=True).nv_code == (
        SEARCH_NOT_SUPPORTED
    )


# --- uri ------------------------------------------------------------------------------------

URL = param("ValueSet", "url")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("url", UriMatch(URL, "http://acme.org/fhir/ValueSet/123", "eq")),
        ("url:below", UriMatch(URL, "http://acme.org/fhir/ValueSet/123", "below")),
        ("url:above", UriMatch(URL, "http://acme.org/fhir/ValueSet/123", "above")),
    ],
)
def test_uri(name: str, expected: Expr) -> None:
    assert only("ValueSet", name, "http://acme.org/fhir/ValueSet/123") == expected


def test_uri_contains_not_supported() -> None:
    assert invalid("ValueSet", "url:contains", "acme", strict=True).nv_code == SEARCH_NOT_SUPPORTED


# --- composite ------------------------------------------------------------------------------

CODE_VALUE_QUANTITY = param("Observation", "code-value-quantity")
OBS_VALUE_CONCEPT = REGISTRY.by_url("http://hl7.org/fhir/SearchParameter/Observation-value-concept")
OBS_VALUE_DATE = param("Observation", "value-date")


def test_composite_code_value_quantity() -> None:
    expected = CompositeMatch(
        CODE_VALUE_QUANTITY,
        (
            TokenMatch(CODE, LOINC, "8480-6"),
            QuantityMatch(VALUE_QUANTITY, "gt", Decimal(100), Decimal("99.5"), Decimal("100.5")),
        ),
    )
    assert only("Observation", "code-value-quantity", f"{LOINC}|8480-6$gt100") == expected


def test_composite_or_and_escaped_dollar() -> None:
    concept = param("Observation", "code-value-concept")
    assert OBS_VALUE_CONCEPT is not None
    expected = AnyOf(
        (
            CompositeMatch(
                concept, (TokenMatch(CODE, None, "a$b"), TokenMatch(OBS_VALUE_CONCEPT, None, "c"))
            ),
            CompositeMatch(
                concept, (TokenMatch(CODE, None, "d"), TokenMatch(OBS_VALUE_CONCEPT, None, "e,f"))
            ),
        )
    )
    assert only("Observation", "code-value-concept", "a\\$b$c,d$e\\,f") == expected


def test_composite_date_component() -> None:
    composite = param("Observation", "code-value-date")
    expected = CompositeMatch(
        composite,
        (
            TokenMatch(CODE, None, "x"),
            DateMatch(OBS_VALUE_DATE, "ge", utc(2020, 1, 1), utc(2021, 1, 1)),
        ),
    )
    assert only("Observation", "code-value-date", "x$ge2020") == expected


@pytest.mark.parametrize("value", ["8480-6", "a$b$c", "x$gtabc", "x$2020-13"])
def test_malformed_composites(value: str) -> None:
    name = "code-value-date" if "20" in value else "code-value-quantity"
    assert invalid("Observation", name, value).nv_code == BAD_PARAMETER


def test_composite_takes_no_modifier_but_missing() -> None:
    assert invalid("Observation", "code-value-quantity:exact", "a$1", strict=True).nv_code == (
        SEARCH_NOT_SUPPORTED
    )
    assert only("Observation", "code-value-quantity:missing", "true") == Missing(
        CODE_VALUE_QUANTITY, True
    )


# --- :missing on every type -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource_type", "code"),
    [
        ("Patient", "name"),
        ("Observation", "code"),
        ("Observation", "date"),
        ("RiskAssessment", "probability"),
        ("Observation", "value-quantity"),
        ("Observation", "subject"),
        ("ValueSet", "url"),
    ],
)
def test_missing(resource_type: str, code: str) -> None:
    definition = param(resource_type, code)
    assert only(resource_type, f"{code}:missing", "true") == Missing(definition, True)
    assert only(resource_type, f"{code}:missing", "false") == Missing(definition, False)


@pytest.mark.parametrize("value", ["yes", "1", "TRUE"])
def test_missing_takes_true_or_false(value: str) -> None:
    assert invalid("Patient", "name:missing", value).nv_code == BAD_PARAMETER


# --- the Resource-level parameters ----------------------------------------------------------


def test_id_folds_or_and_repeats_as_and() -> None:
    query = parse_search(("Patient",), [("_id", "a,b"), ("_id", "c")], REGISTRY)
    assert query.where == AllOf((IdMatch(("a", "b")), IdMatch(("c",))))


def test_id_not() -> None:
    assert only("Patient", "_id:not", "a,b") == Not(IdMatch(("a", "b")))


def test_id_missing_not_supported() -> None:
    assert invalid("Patient", "_id:missing", "true", strict=True).nv_code == SEARCH_NOT_SUPPORTED


def test_last_updated() -> None:
    assert only("Patient", "_lastUpdated", "gt2020-01-01T00:00:00Z") == LastUpdatedMatch(
        "gt", utc(2020, 1, 1), utc(2020, 1, 1, 0, 0, 1)
    )
    assert only("Patient", "_lastUpdated", "2020,le2019-06") == AnyOf(
        (
            LastUpdatedMatch("eq", utc(2020, 1, 1), utc(2021, 1, 1)),
            LastUpdatedMatch("le", utc(2019, 6, 1), utc(2019, 7, 1)),
        )
    )


def test_last_updated_malformed_and_modifiers() -> None:
    assert invalid("Patient", "_lastUpdated", "abc").nv_code == BAD_PARAMETER
    assert invalid("Patient", "_lastUpdated:missing", "true", strict=True).nv_code == (
        SEARCH_NOT_SUPPORTED
    )


@pytest.mark.parametrize(
    ("code", "value", "expected_type"),
    [
        ("_tag", "http://example.org/tags|needs-review", TokenMatch),
        ("_security", "http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R", TokenMatch),
        ("_profile", "http://hl7.org/fhir/StructureDefinition/vitalsigns", UriMatch),
        ("_source", "http://example.org/source", UriMatch),
    ],
)
def test_meta_parameters_use_the_registry_definitions(
    code: str, value: str, expected_type: type
) -> None:
    definition = REGISTRY.get("Resource", code)
    assert definition is not None
    found = only("Observation", code, value)
    assert isinstance(found, expected_type)
    if isinstance(found, TokenMatch):
        system, _, token = value.partition("|")
        assert found == TokenMatch(definition, system, token)
    else:
        assert found == UriMatch(definition, value)


@pytest.mark.parametrize(
    ("resource_type", "name"),
    [("Patient", "_query"), ("Location", "near")],
)
def test_unsupported_features(resource_type: str, name: str) -> None:
    query = parse_search((resource_type,), [(name, "x")], REGISTRY)
    assert query.where == AllOf(())
    assert query.warnings == (f"Search parameter '{name}' is not supported yet",)
    assert query.echo == ()
    assert invalid(resource_type, name, "x", strict=True).nv_code == SEARCH_NOT_SUPPORTED
