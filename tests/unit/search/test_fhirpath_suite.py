"""The official FHIRPath test suite (R4) on the engine search uses: every case, each failure named.

Every case outside ``KNOWN_FAILURES`` is its own test. ``test_failures_are_exactly_the_known``
checks that the failing cases are exactly the listed ones, each with its reason, so a new failure
and a known failure that starts passing both fail the run; it prints the tally.
"""

from __future__ import annotations

import functools

import pytest

from tests.unit.search.fhirpath_suite import Case, load_cases, run_case

NOT_IMPLEMENTED = "fhirpathpy 2.2.4 does not implement {}() (FHIRPath 2.1 / FHIR addition)"
NO_STATIC_CHECK = (
    "fhirpathpy has no static (semantic) checking: an unknown element or a wrong type"
    " evaluates to empty instead of being rejected"
)
NO_RUNTIME_ERROR = "fhirpathpy returns a value where the specification demands an execution error"
GRAMMAR = "fhirpathpy's grammar: {}"
TYPES = "fhirpathpy's type system: {}"
DATE_PRECISION = (
    "comparing date/times of different precision must give empty; fhirpathpy gives a boolean"
)
QUANTITY = "fhirpathpy's quantities: {}"
STRINGS = "fhirpathpy's string conversions: {}"
COLLECTIONS = "fhirpathpy's collection functions: {}"


def _all(names: str, reason: str) -> dict[str, str]:
    return dict.fromkeys(names.split(), reason)


KNOWN_FAILURES: dict[str, str] = {
    **_all(
        " ".join(f"LowBoundary{s}" for s in ("DecimalDefault", "NegDecimalDefault", "Quantity"))
        + " "
        + " ".join(f"LowBoundaryDecimal{i}" for i in range(1, 16))
        + " "
        + " ".join(f"LowBoundaryNegDecimal{i}" for i in range(1, 6))
        + " LowBoundaryDateMonth LowBoundaryTimeMillisecond testPeriodInvariantNew "
        + " ".join(f"LowBoundaryDateTimeMillisecond{i}" for i in range(1, 4)),
        NOT_IMPLEMENTED.format("lowBoundary"),
    ),
    **_all(
        "HighBoundaryDecimalDefault HighBoundaryDecimal HighBoundaryQuantity "
        + " ".join(f"HighBoundaryDecimal{i}" for i in range(1, 17))
        + " HighBoundaryDateMonth HighBoundaryTimeMillisecond "
        + " ".join(f"HighBoundaryDateTimeMillisecond{i}" for i in range(1, 4)),
        NOT_IMPLEMENTED.format("highBoundary"),
    ),
    **_all(
        "PrecisionDecimal PrecisionYear PrecisionDateTimeMilliseconds PrecisionTimeMinutes"
        " PrecisionTimeMilliseconds",
        NOT_IMPLEMENTED.format("precision"),
    ),
    **_all("Comparable1 Comparable2 Comparable3", NOT_IMPLEMENTED.format("comparable")),
    **_all(" ".join(f"testSort{i}" for i in range(1, 11)), NOT_IMPLEMENTED.format("sort")),
    **_all("testEscapeHtml testEscapeJson", NOT_IMPLEMENTED.format("escape")),
    **_all("testUnescapeHtml testUnescapeJson", NOT_IMPLEMENTED.format("unescape")),
    **_all(
        "testMatchesFullWithinUrl1 testMatchesFullWithinUrl1a testMatchesFullWithinUrl2"
        " testMatchesFullWithinUrl3 testMatchesFullWithinUrl4",
        NOT_IMPLEMENTED.format("matchesFull"),
    ),
    **_all("testConformsTo1 testConformsTo2", NOT_IMPLEMENTED.format("conformsTo")),
    **_all("testPeriodInvariantOld testPrimitiveExtensions", NOT_IMPLEMENTED.format("hasValue")),
    **_all(
        "testSimpleFail testSimpleWithWrongContext testPolymorphismB testPolymorphismAsB"
        " testDollarOrderNotAllowed testPolymorphicsB testCollectionBoolean1 testIif6"
        " testFHIRPathAsFunction23 testFHIRPathAsFunction24",
        NO_STATIC_CHECK,
    ),
    **_all(
        "testLiteralTimeUTC testLiteralTimeTimezoneOffset testNotInvalid testSingle2 testIif10"
        " testPrecedence3",
        NO_RUNTIME_ERROR,
    ),
    **_all(
        "testLiteralDateTimeYear testLiteralDateTimeMonth testLiteralDateTimeDay",
        GRAMMAR.format("no partial dateTime literal such as @2015T (a syntax error)"),
    ),
    "testPrecedence4": GRAMMAR.format("'|' binds looser than 'is' there"),
    **_all(
        "testLiteralDateYear testLiteralDateMonth testLiteralDateDay testDecimalLiteralIsDecimal",
        TYPES.format("a literal is not of its System type (@2015.is(Date) is false)"),
    ),
    **_all(
        "testFHIRPathAsFunction11 testFHIRPathAsFunction16",
        TYPES.format("a FHIR code counts as a FHIR string (the suite says it does not)"),
    ),
    **_all(
        "testDateNotEqualTimezoneOffsetBefore testDateNotEqualTimezoneOffsetAfter"
        " testDateNotEqualUTC testDateTimeGreaterThanDate2 testEquality23 testNEquality17",
        DATE_PRECISION,
    ),
    **_all(
        "testStringQuantityMonthLiteralToQuantity testStringQuantityYearLiteralToQuantity",
        QUANTITY.format("UCUM 'mo' and 'a' are taken as calendar month and year"),
    ),
    **_all("testQuantity7 testQuantity8", QUANTITY.format("comparing weeks with days fails")),
    **_all(
        "testQuantity9 testQuantity10 testQuantity11",
        QUANTITY.format("no multiplication or division of quantities"),
    ),
    **_all(
        "testLessThan22 testLessOrEqual22 testGreatorOrEqual22 testGreaterThan22",
        QUANTITY.format("a FHIR Quantity element is not compared with a quantity literal"),
    ),
    "testMinus5": QUANTITY.format("the UCUM unit 'month' is refused in date arithmetic"),
    "testAbs3": QUANTITY.format("unary minus on a quantity"),
    **_all(
        "testDecimalLiteralToString testToString4",
        STRINGS.format("1.0.toString() loses the trailing zero"),
    ),
    "testBooleanLiteralToString": STRINGS.format("true.toString() gives 'True'"),
    **_all(
        "testIndexOf5 testReplace6",
        STRINGS.format("an empty-collection argument raises instead of giving empty"),
    ),
    "testStartsWith10": STRINGS.format("''.startsWith('') is false"),
    "testReplaceMatches2": STRINGS.format("replaceMatches with an empty pattern replaces"),
    "testSubSetOf3": COLLECTIONS.format("subsetOf with $this in the argument"),
    **_all(
        "testEquivalent21 testNotEquivalent21 testEquivalent23#2",
        COLLECTIONS.format("~ on collections is order-sensitive"),
    ),
    "testRound1": "fhirpathpy 2.2.4 requires round()'s precision argument",
    **_all(
        "testVariables4 testExtension2",
        "the %`vs-*` and %`ext-*` variables are not defined (only %sct, %loinc, %ucum)",
    ),
    "from-zulip-1": "fhirpathpy raises on 'and' with a non-boolean string operand",
}

CASES = load_cases()


def _ids(cases: list[Case]) -> list[str]:
    seen: dict[str, int] = {}
    ids = []
    for case in cases:
        seen[case.name] = seen.get(case.name, 0) + 1
        ids.append(case.name if seen[case.name] == 1 else f"{case.name}#{seen[case.name]}")
    return ids


IDS = _ids(CASES)


PASSING = [
    pytest.param(case, id=id_)
    for case, id_ in zip(CASES, IDS, strict=True)
    if id_ not in KNOWN_FAILURES
]


@functools.cache
def _problem(case: Case) -> str | None:
    return run_case(case)


@pytest.mark.parametrize("case", PASSING)
def test_case(case: Case) -> None:
    """The engine's result equals the suite's typed outputs (or it raises where it must)."""
    problem = _problem(case)
    assert problem is None, problem


def test_known_failures_name_real_cases() -> None:
    """Every listed failure is a case of the suite (no stale names hide a regression)."""
    assert set(KNOWN_FAILURES) <= set(IDS)


def test_failures_are_exactly_the_known(capsys: pytest.CaptureFixture[str]) -> None:
    """The suite's 935 cases fail exactly where ``KNOWN_FAILURES`` says; print the tally."""
    failing = [id_ for case, id_ in zip(CASES, IDS, strict=True) if _problem(case) is not None]
    assert len(CASES) == 935
    assert sorted(failing) == sorted(KNOWN_FAILURES)
    with capsys.disabled():
        print(f"\nFHIRPath R4 suite: {len(CASES) - len(failing)}/{len(CASES)} pass")
