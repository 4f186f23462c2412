"""The safety case set: recall per severity, false positives, free-text robustness.

Every positive must be found with its severity; any high-severity miss fails. Negatives must
give no high-severity finding. The figures are printed with every run.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.unit.safety.cases import Case, load, variants

SOURCES, CASES = load()
POSITIVES = [case for case in CASES if case.rule is not None]
NEGATIVES = [case for case in CASES if case.rule is None]


def test_case_set_size_and_sources() -> None:
    assert len(CASES) >= 150
    assert len(POSITIVES) >= 100
    assert len(NEGATIVES) >= 50
    assert len({case.id for case in CASES}) == len(CASES)
    for case in CASES:
        assert case.source in SOURCES, case.id
        assert len(SOURCES[case.source]) >= 20, case.source
    assert Counter(case.severity for case in POSITIVES)["high"] >= 40


def test_recall_per_severity_and_false_positives(capsys: pytest.CaptureFixture[str]) -> None:
    found = Counter[str]()
    total = Counter(case.severity for case in POSITIVES if case.severity)
    misses: list[str] = []
    for case in POSITIVES:
        got = case.found().get(case.rule or "")
        if got == case.severity:
            found[case.severity or ""] += 1
        else:
            misses.append(f"{case.id} {case.rule}: expected {case.severity}, got {got}")
    any_finding = [case.id for case in NEGATIVES if case.found()]
    high = [case.id for case in NEGATIVES if "high" in case.found().values()]
    with capsys.disabled():
        print("\nSafety case set:", len(POSITIVES), "positives,", len(NEGATIVES), "negatives")
        for severity in ("high", "moderate", "low"):
            print(f"  recall {severity}: {found[severity]}/{total[severity]}")
        print(f"  false positives: {len(any_finding)} with any finding, {len(high)} high")
    high_misses = [m for m in misses if "expected high" in m]
    assert not high_misses, high_misses
    assert not high, high
    assert not misses, misses


def _variant_results() -> dict[str, tuple[int, int, list[str]]]:
    results: dict[str, tuple[int, int, list[str]]] = {}
    for case in POSITIVES:
        for kind, variant in variants(case).items():
            hits, count, high_misses = results.get(kind, (0, 0, []))
            ok = variant.found().get(case.rule or "") == case.severity
            if not ok and case.severity == "high":
                high_misses = [*high_misses, f"{case.id}: {variant.foods} {variant.medications}"]
            results[kind] = (hits + ok, count + 1, high_misses)
    return results


def test_free_text_variants_miss_no_high_severity(capsys: pytest.CaptureFixture[str]) -> None:
    results = _variant_results()
    with capsys.disabled():
        print("\nFree-text variants (found with the expected severity):")
        for kind, (hits, count, _) in sorted(results.items()):
            print(f"  {kind}: {hits}/{count}")
    assert set(results) == {"brand", "plural", "drug typo", "food typo", "dish"}
    for kind, (_, count, high_misses) in results.items():
        assert count > 0, kind
        assert not high_misses, (kind, high_misses)


@pytest.mark.parametrize(
    ("word", "misspelt"), [("grapefruit", "grapferuit"), ("simvastatin", "simvsatatin")]
)
def test_typo_helper_stays_within_distance_two(word: str, misspelt: str) -> None:
    from terminology.textmatch.fuzzy import osa_distance
    from tests.unit.safety.cases import typo

    assert typo(word) == misspelt
    assert osa_distance(word, typo(word)) <= 2


def test_a_case_checks_what_it_says() -> None:
    case = Case(
        "x",
        ("grapefruit juice",),
        ("simvastatin",),
        (),
        "grapefruit-simvastatin",
        "high",
        "fda-grapefruit",
        None,
    )
    assert case.found()["grapefruit-simvastatin"] == "high"
