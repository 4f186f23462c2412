"""The FHIR R4 specification examples against the base definitions: all accepted but three
that really break a rule of the spec (see tests/fixtures/ig/SOURCE.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from profiles_ig.validation import is_error
from profiles_ig.validator import default_validator
from tests.examples import R4_EXAMPLES
from tests.ig_data import IG_FIXTURES, R4_EXAMPLES_SHARED, REJECTED_EXAMPLES


def _error_paths(path: Path) -> list[str]:
    resource = json.loads(path.read_text(encoding="utf-8"))
    issues = default_validator().validate(resource)
    return [p for issue in issues if is_error(issue) for p in issue.expression]


def _local_examples() -> list[Path]:
    return sorted([*R4_EXAMPLES.glob("*.json"), *(IG_FIXTURES / "r4-examples").glob("*.json")])


@pytest.mark.parametrize("path", _local_examples(), ids=lambda p: p.name)
def test_copied_examples_are_accepted_unless_known_to_be_wrong(path: Path) -> None:
    paths = _error_paths(path)
    if path.name in REJECTED_EXAMPLES:
        assert REJECTED_EXAMPLES[path.name] in paths
    else:
        assert paths == []


def test_every_r4_example_is_accepted_but_the_three_known_wrong_ones() -> None:
    if not R4_EXAMPLES_SHARED.is_dir():
        pytest.skip("../shared/fixtures/fhir-r4-examples is not here")
    rejected = {p.name for p in sorted(R4_EXAMPLES_SHARED.glob("*.json")) if _error_paths(p)}
    assert rejected == set(REJECTED_EXAMPLES)
