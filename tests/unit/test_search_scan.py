"""The independent search scan (tests/search_scan.py) on small hand-written resources.

Every expectation below was worked out by hand from the R4 search page, so the scan can be
trusted as the reference the Synthea search test compares the server with.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.search_scan import (
    ScanStore,
    date_matches,
    date_range,
    number_matches,
    split_escaped,
    unescape,
)

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
BASE = "http://example.org/fhir"
PROFILE = "http://example.org/StructureDefinition/p"


def _coded(system: str | None, code: str, text: str | None = None) -> dict[str, Any]:
    coding: dict[str, Any] = {"code": code}
    if system is not None:
        coding["system"] = system
    concept: dict[str, Any] = {"coding": [coding]}
    if text is not None:
        concept["text"] = text
    return concept


def _qty(value: float, code: str | None, unit: str | None = None) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": value}
    if code is not None:
        quantity |= {"system": UCUM, "code": code}
    if unit is not None:
        quantity["unit"] = unit
    return quantity


PATIENTS: list[dict[str, Any]] = [
    {
        "resourceType": "Patient",
        "id": "p1",
        "meta": {"lastUpdated": "2024-01-02T03:04:05.678Z", "tag": [{"system": "t", "code": "a"}]},
        "name": [{"family": "Dubois", "given": ["Renée"], "prefix": ["Mme"]}],
        "gender": "female",
        "birthDate": "1980-05-17",
        "address": [{"city": "Montréal"}],
        "identifier": [{"system": "ssn", "value": "111"}],
    },
    {
        "resourceType": "Patient",
        "id": "p2",
        "meta": {"lastUpdated": "2024-01-02T03:04:06.000Z", "profile": [PROFILE]},
        "name": [{"family": "Dubé", "given": ["Marc"]}],
        "gender": "male",
        "birthDate": "1980",
        "address": [{"line": ["1 Main St"], "city": "Boston"}],
        "identifier": [{"system": "mrn", "value": "222"}],
    },
    {
        "resourceType": "Patient",
        "id": "p3",
        "name": [{"family": "Smith", "given": ["Anne", "Marie"]}],
        "birthDate": "1975-12-31",
        "identifier": [{"system": "sys", "value": "x,y"}],
    },
]
OTHERS: list[dict[str, Any]] = [
    {"resourceType": "Organization", "id": "o1", "name": "General Hospital"},
    {"resourceType": "Organization", "id": "o2", "name": "Clinic North"},
    {"resourceType": "Practitioner", "id": "dr1", "name": [{"family": "Dubreuil"}]},
    {
        "resourceType": "MedicationRequest",
        "id": "m1",
        "subject": {"reference": "Patient/p1"},
        "requester": {"reference": "Practitioner/dr1"},
    },
    {
        "resourceType": "MedicationRequest",
        "id": "m2",  # self-prescribed: the requester is a Patient named Dubois
        "subject": {"reference": "Patient/p1"},
        "requester": {"reference": "Patient/p1"},
    },
    {
        "resourceType": "Encounter",
        "id": "e1",
        "class": {"system": ACT, "code": "AMB"},
        "subject": {"reference": "Patient/p1"},
        "serviceProvider": {"reference": "Organization/o1"},
        "period": {"start": "2020-01-01T10:00:00+00:00", "end": "2020-01-01T11:00:00+00:00"},
    },
    {
        "resourceType": "Encounter",
        "id": "e2",
        "class": {"system": ACT, "code": "EMER"},
        "subject": {"reference": "Patient/p2"},
        "serviceProvider": {"reference": "Organization/o2"},
        "period": {"start": "2020-06-15T23:30:00-05:00"},
    },
    {
        "resourceType": "Observation",
        "id": "w1",
        "code": _coded(LOINC, "29463-7", "Body Weight"),
        "subject": {"reference": "Patient/p1"},
        "encounter": {"reference": "Encounter/e1"},
        "effectiveDateTime": "2020-01-01T10:00:00+00:00",
        "valueQuantity": _qty(72.4, "kg"),
    },
    {
        "resourceType": "Observation",
        "id": "w2",
        "code": _coded(LOINC, "29463-7", "Body Weight"),
        "subject": {"reference": "Patient/p2"},
        "encounter": {"reference": "Encounter/e2"},
        "effectiveDateTime": "2021-03",
        "valueQuantity": _qty(100.0, "kg"),
    },
    {
        "resourceType": "Observation",
        "id": "bp",
        "code": _coded(LOINC, "85354-9", "Blood pressure panel"),
        "subject": {"reference": "Patient/p1"},
        "encounter": {"reference": "Encounter/e1"},
        "effectivePeriod": {"start": "2020-01-01T10:00:00Z", "end": "2020-01-01T10:05:00Z"},
        "component": [
            {"code": _coded(LOINC, "8480-6"), "valueQuantity": _qty(130, "mm[Hg]")},
            {"code": _coded(LOINC, "8462-4"), "valueQuantity": _qty(85, "mm[Hg]")},
        ],
    },
    {
        "resourceType": "Observation",
        "id": "local",
        "code": _coded(None, "xyz", "Local thing"),
        "subject": {"reference": "Group/g1"},
        "valueQuantity": _qty(5, None, "mg"),
    },
    {
        "resourceType": "Condition",
        "id": "c1",
        "code": _coded(SNOMED, "38341003"),
        "clinicalStatus": _coded(CLINICAL, "active"),
        "subject": {"reference": "Patient/p1"},
        "onsetDateTime": "2019",
    },
    {
        "resourceType": "Condition",
        "id": "c2",
        "code": _coded(SNOMED, "38341003"),
        "clinicalStatus": _coded(CLINICAL, "resolved"),
        "subject": {"reference": "Patient/p2"},
    },
    {
        "resourceType": "Condition",
        "id": "c3",
        "code": _coded(SNOMED, "10509002"),
        "subject": {"reference": "Patient/p3"},
    },
    {
        "resourceType": "DiagnosticReport",
        "id": "d1",
        "code": _coded(LOINC, "58410-2"),
        "subject": {"reference": "Patient/p1"},
        "result": [{"reference": "Observation/w1"}, {"reference": "Observation/bp"}],
    },
]


@pytest.fixture(scope="module")
def store() -> ScanStore:
    return ScanStore([*PATIENTS, *OTHERS], base=BASE)


def ids(store: ScanStore, resource_type: str, *params: tuple[str, str]) -> set[str]:
    """The ids of the matches only."""
    return {key.split("/")[1] for key in store.search(resource_type, list(params)).matches}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([("name", "rene")], {"p1"}),  # given Renée, accent- and case-folded starts-with
        ([("name", "RENÉE")], {"p1"}),
        ([("name", "enee")], set()),  # not a start
        ([("name", "mme")], {"p1"}),  # HumanName.prefix is a name part
        ([("family", "dube")], {"p2"}),
        ([("family", "Dub")], {"p1", "p2"}),
        ([("family:exact", "Dubé")], {"p2"}),
        ([("family:exact", "dubé")], set()),
        ([("family:exact", "Dub")], set()),
        ([("given:contains", "ari")], {"p3"}),
        ([("given:contains", "RC")], {"p2"}),
        ([("address-city", "montreal")], {"p1"}),
        ([("address", "1 main")], {"p2"}),  # Address.line
        ([("address", "bost")], {"p2"}),
        ([("name", "smith,marc")], {"p2", "p3"}),  # comma is OR
        ([("family", "dub"), ("given", "marc")], {"p2"}),  # repetition is AND
    ],
)
def test_string(store: ScanStore, params: list[tuple[str, str]], expected: set[str]) -> None:
    assert ids(store, "Patient", *params) == expected


@pytest.mark.parametrize(
    ("resource_type", "params", "expected"),
    [
        ("Observation", [("code", f"{LOINC}|29463-7")], {"w1", "w2"}),
        ("Observation", [("code", "29463-7")], {"w1", "w2"}),
        ("Observation", [("code", "|xyz")], {"local"}),  # no system
        ("Observation", [("code", "|29463-7")], set()),
        ("Observation", [("code", f"{LOINC}|")], {"w1", "w2", "bp"}),
        ("Observation", [("code", "http://other|29463-7")], set()),
        ("Observation", [("code", "85354-9,xyz")], {"bp", "local"}),
        ("Observation", [("code:text", "local")], {"local"}),
        ("Observation", [("code:text", "BLOOD")], {"bp"}),
        ("Observation", [("code:text", "pressure")], set()),
        ("Condition", [("clinical-status", "resolved")], {"c2"}),
        ("Condition", [("clinical-status:not", "resolved")], {"c1", "c3"}),  # c3: no status
        ("Patient", [("gender", "female")], {"p1"}),
        ("Patient", [("gender", "http://hl7.org/fhir/administrative-gender|male")], {"p2"}),
        ("Patient", [("identifier", "ssn|111")], {"p1"}),
        ("Patient", [("identifier", "111")], {"p1"}),
        ("Patient", [("identifier", "sys|x\\,y")], {"p3"}),  # escaped comma
        ("Patient", [("_id", "p1,p3,nope")], {"p1", "p3"}),
        ("Patient", [("_tag", "t|a")], {"p1"}),
        ("Encounter", [("class", "EMER")], {"e2"}),
    ],
)
def test_token(
    store: ScanStore, resource_type: str, params: list[tuple[str, str]], expected: set[str]
) -> None:
    assert ids(store, resource_type, *params) == expected


@pytest.mark.parametrize(
    ("resource_type", "params", "expected"),
    [
        ("Observation", [("date", "2020")], {"w1", "bp"}),
        ("Observation", [("date", "ne2020")], {"w2"}),  # "local" has no date at all
        ("Observation", [("date", "gt2020-01-01")], {"w2"}),
        ("Observation", [("date", "ge2020-01-01")], {"w1", "bp", "w2"}),
        ("Observation", [("date", "lt2020-01-01T10:00:01+00:00")], {"w1", "bp"}),
        ("Observation", [("date", "le2021-02-28")], {"w1", "bp"}),
        ("Observation", [("date", "sa2020-01-01T10:04:00Z")], {"w2"}),
        ("Observation", [("date", "eb2021-03-01")], {"w1", "bp"}),
        ("Observation", [("date", "ge2020"), ("date", "lt2021")], {"w1", "bp"}),
        ("Encounter", [("date", "eq2020-01-01")], {"e1"}),
        ("Encounter", [("date", "2020-06-15")], set()),  # open end: not contained in a day
        ("Encounter", [("date", "ge2020-06-16")], {"e2"}),
        ("Encounter", [("date", "lt2020-06-16T04:00:00Z")], {"e1"}),  # e2 starts 04:30Z
        ("Encounter", [("date", "lt2020-06-16T05:00:00Z")], {"e1", "e2"}),
        ("Patient", [("birthdate", "1980")], {"p1", "p2"}),
        ("Patient", [("birthdate", "1980-05")], {"p1"}),  # p2's "1980" is wider than May
        ("Patient", [("birthdate", "le1979")], {"p3"}),
        ("Patient", [("_lastUpdated", "ge2024-01-02T03:04:05.678Z")], {"p1", "p2"}),
        ("Patient", [("_lastUpdated", "gt2024-01-02T03:04:05.678Z")], {"p2"}),
        ("Condition", [("onset-date", "lt2019-06")], {"c1"}),
    ],
)
def test_date(
    store: ScanStore, resource_type: str, params: list[tuple[str, str]], expected: set[str]
) -> None:
    assert ids(store, resource_type, *params) == expected


def test_date_ranges_follow_precision_and_zone() -> None:
    assert date_range("2020") == (
        datetime(2020, 1, 1, tzinfo=UTC),
        datetime(2021, 1, 1, tzinfo=UTC),
    )
    low, high = date_range("2020-02")
    assert (low.day, high.month, high.day) == (1, 3, 1)
    low, high = date_range("2020-06-15T23:30:00-05:00")
    assert low == datetime(2020, 6, 16, 4, 30, tzinfo=UTC)
    assert (high - low).total_seconds() == 1
    low, high = date_range("2024-01-02T03:04:05.67Z")
    assert (low.microsecond, (high - low).microseconds) == (670000, 10000)
    with pytest.raises(ValueError, match="not a FHIR date"):
        date_range("2020-1-1")


def test_date_prefixes_on_ranges() -> None:
    day = date_range("2020-01-01")
    inside = date_range("2020-01-01T12:00:00Z")
    spanning = (date_range("2019-12-31")[0], date_range("2020-01-02")[1])
    later = date_range("2020-01-03")
    assert [date_matches(p, day, inside) for p in ("eq", "ne", "gt", "lt", "ge", "le")] == [
        True,
        False,
        False,
        False,
        True,
        True,
    ]
    assert [date_matches(p, day, spanning) for p in ("eq", "gt", "lt", "sa", "eb")] == [
        False,
        True,
        True,
        False,
        False,
    ]
    assert [date_matches(p, day, later) for p in ("sa", "eb", "gt", "le")] == [
        True,
        False,
        True,
        False,
    ]
    with pytest.raises(ValueError, match="prefix"):
        date_matches("ap", day, inside)


@pytest.mark.parametrize(
    ("prefix", "text", "target", "expected"),
    [
        ("eq", "100", "99.5", True),  # 3 significant figures: [99.5, 100.5)
        ("eq", "100", "100.5", False),
        ("eq", "100.00", "100.004", True),
        ("eq", "100.00", "100.006", False),
        ("ne", "100", "100.6", True),
        ("gt", "100", "100", False),
        ("ge", "100", "100", True),
        ("lt", "100", "99.999", True),
        ("le", "100", "100.001", False),
    ],
)
def test_number_precision(prefix: str, text: str, target: str, expected: bool) -> None:
    assert number_matches(prefix, text, Decimal(target)) is expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([("value-quantity", "72||kg")], {"w1"}),  # [71.5, 72.5)
        ([("value-quantity", "72.0||kg")], set()),  # [71.95, 72.05)
        ([("value-quantity", "100")], {"w2"}),
        ([("value-quantity", f"gt72.4|{UCUM}|kg")], {"w2"}),
        ([("value-quantity", f"ge72.4|{UCUM}|kg")], {"w1", "w2"}),
        ([("value-quantity", "lt80")], {"w1", "local"}),
        ([("value-quantity", "5||mg")], {"local"}),  # ||code also matches the unit
        ([("value-quantity", f"5|{UCUM}|mg")], set()),
        ([("value-quantity", f"gt1|{UCUM}|g")], set()),  # the scan does no unit conversion
        ([("value-quantity:missing", "true")], {"bp"}),
        ([("code-value-quantity", f"{LOINC}|29463-7$gt80|{UCUM}|kg")], {"w2"}),
        ([("component-code-value-quantity", f"{LOINC}|8480-6$gt120|{UCUM}|mm[Hg]")], {"bp"}),
        # code and value must come from the same component: the diastolic is 85
        ([("component-code-value-quantity", f"{LOINC}|8462-4$gt120|{UCUM}|mm[Hg]")], set()),
        ([("component-code-value-quantity", "8462-4$lt90,8480-6$lt90")], {"bp"}),
    ],
)
def test_quantity_and_composite(
    store: ScanStore, params: list[tuple[str, str]], expected: set[str]
) -> None:
    assert ids(store, "Observation", *params) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([("patient", "p1")], {"w1", "bp"}),
        ([("patient", "Patient/p2")], {"w2"}),
        ([("subject", "g1")], {"local"}),
        ([("patient", "g1")], set()),  # patient follows Patient references only
        ([("subject", f"{BASE}/Patient/p1")], {"w1", "bp"}),  # absolute URL on this server
        ([("subject", "http://elsewhere.org/fhir/Patient/p1")], set()),
        ([("subject:Group", "g1")], {"local"}),
        ([("subject:Patient", "g1")], set()),
        ([("subject:Patient.family", "dub")], {"w1", "bp", "w2"}),
        ([("patient.gender", "female")], {"w1", "bp"}),
        ([("encounter.class", "EMER")], {"w2"}),
        ([("encounter.service-provider.name", "general")], {"w1", "bp"}),  # two levels
        ([("encounter.patient.name:exact", "Dubé")], {"w2"}),
        ([("date:missing", "true")], {"local"}),
        ([("date:missing", "false")], {"w1", "w2", "bp"}),
    ],
)
def test_reference_and_chain(
    store: ScanStore, params: list[tuple[str, str]], expected: set[str]
) -> None:
    assert ids(store, "Observation", *params) == expected


@pytest.mark.parametrize(
    ("resource_type", "params", "expected"),
    [
        ("Patient", [("_has:Observation:patient:code", "85354-9")], {"p1"}),
        ("Patient", [("_has:Condition:subject:code", f"{SNOMED}|38341003")], {"p1", "p2"}),
        ("Patient", [("_has:Condition:subject:clinical-status", "resolved")], {"p2"}),
        (
            "Patient",
            [("_has:Encounter:subject:_has:Observation:encounter:code", "85354-9")],
            {"p1"},
        ),
        ("Encounter", [("_has:Observation:encounter:patient.gender", "male")], {"e2"}),
        ("DiagnosticReport", [("result.code", f"{LOINC}|85354-9")], {"d1"}),
        ("MedicationRequest", [("requester.name", "dub")], {"m1", "m2"}),
        ("MedicationRequest", [("requester:Practitioner.name", "dub")], {"m1"}),
        ("MedicationRequest", [("requester:Patient.name", "dub")], {"m2"}),
        ("DiagnosticReport", [("result.code", f"{LOINC}|xyz")], set()),
        ("Condition", [("clinical-status:missing", "true")], {"c3"}),
        ("Patient", [("_profile", PROFILE)], {"p2"}),
        ("Patient", [("_profile:below", "http://example.org/StructureDefinition")], {"p2"}),
        ("Patient", [("_profile:above", PROFILE + "/sub")], {"p2"}),
        ("Patient", [("_profile", "http://example.org/StructureDefinition")], set()),
    ],
)
def test_has_chain_missing_uri(
    store: ScanStore, resource_type: str, params: list[tuple[str, str]], expected: set[str]
) -> None:
    assert ids(store, resource_type, *params) == expected


def test_include_and_revinclude(store: ScanStore) -> None:
    result = store.search("Observation", [("code", "29463-7"), ("_include", "Observation:patient")])
    assert set(result.matches) == {"Observation/w1", "Observation/w2"}
    assert result.includes == {"Patient/p1", "Patient/p2"}
    typed = store.search(
        "Observation", [("_id", "local"), ("_include", "Observation:subject:Patient")]
    )
    assert typed.includes == frozenset()  # its subject is a Group, and not stored
    encounters = store.search(
        "Encounter",
        [
            ("class", "AMB"),
            ("_revinclude", "Observation:encounter"),
            ("_include", "Encounter:patient"),
        ],
    )
    assert encounters.matches == ("Encounter/e1",)
    assert encounters.includes == {"Observation/w1", "Observation/bp", "Patient/p1"}
    requesters = store.search(
        "MedicationRequest", [("_include", "MedicationRequest:requester:Practitioner")]
    )
    assert requesters.includes == {"Practitioner/dr1"}
    chained = store.search("Observation", [("_id", "w1"), ("_include", "Observation:encounter")])
    assert chained.includes == {"Encounter/e1"}


def test_revinclude_from_the_referring_side(store: ScanStore) -> None:
    result = store.search("Patient", [("_revinclude", "Observation:patient")])
    assert result.includes == {"Observation/w1", "Observation/bp", "Observation/w2"}
    typed = store.search("Patient", [("_revinclude", "Observation:subject:Group")])
    assert typed.includes == frozenset()


def test_sort_orders_and_ranks_ties(store: ScanStore) -> None:
    descending = store.search("Observation", [("_sort", "-date")])
    assert descending.matches == (
        "Observation/w2",
        "Observation/bp",  # period end 10:05 is later than w1's 10:00
        "Observation/w1",
        "Observation/local",  # no date: last
    )
    assert len(set(descending.ranks.values())) == 4
    ascending = store.search("Observation", [("_sort", "date")])
    assert ascending.ranks["Observation/w1"] == ascending.ranks["Observation/bp"]  # both 10:00
    assert ascending.matches[2:] == ("Observation/w2", "Observation/local")
    by_id = store.search("Patient", [("_sort", "-_id")])
    assert by_id.matches == ("Patient/p3", "Patient/p2", "Patient/p1")
    by_two = store.search("Observation", [("_sort", "date,-_id")])
    assert by_two.matches[:2] == ("Observation/w1", "Observation/bp")
    assert by_two.ranks["Observation/w1"] != by_two.ranks["Observation/bp"]


def test_summary_count_and_total(store: ScanStore) -> None:
    result = store.search("Observation", [("code", "29463-7"), ("_summary", "count")])
    assert result.count_only
    assert result.total == 2
    assert not store.search("Observation", [("code", "29463-7")]).count_only


def test_unknown_parameters_and_modifiers_are_refused(store: ScanStore) -> None:
    with pytest.raises(KeyError):
        store.search("Patient", [("shoe-size", "42")])
    with pytest.raises(ValueError, match="modifier"):
        store.search("Patient", [("name:below", "x")])
    with pytest.raises(ValueError, match="modifier"):
        store.search("Observation", [("code:in", "http://example.org/vs")])
    with pytest.raises(KeyError):
        store.search("Observation", [("encounter.shoe-size", "1")])
    with pytest.raises(ValueError, match="iterate"):
        store.search("Encounter", [("_include:iterate", "Encounter:patient")])


def test_escaping() -> None:
    assert split_escaped("a\\,b,c", ",") == ["a\\,b", "c"]
    assert split_escaped("x|y|z", "|", 1) == ["x", "y|z"]
    assert unescape("a\\,b\\$c\\|d\\\\") == "a,b$c|d\\"
