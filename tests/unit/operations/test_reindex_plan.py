"""What ``$reindex`` covers: the types to read and which custom parameters become ready."""

from __future__ import annotations

import pytest

from fhir_server.store.reindex_job import covered
from operations.reindex import plan
from resources.errors import Invalid
from resources.resource_types import SERVED_TYPES
from resources.search.param_def import param_from_json


def test_a_named_parameter_reindexes_its_bases_only() -> None:
    both = param_from_json(
        {"url": "http://x/b", "code": "b", "type": "token", "base": ["Patient", "Practitioner"],
         "expression": "Patient.id | Practitioner.id"}
    )  # fmt: skip
    assert plan(None, [both]) == (["Patient", "Practitioner"], ["http://x/b"])
    assert plan("Patient", [both]) == (["Patient"], ["http://x/b"])
    with pytest.raises(Invalid):
        plan("Observation", [both])


def test_without_url_every_type_or_the_one_named() -> None:
    assert plan(None, []) == (sorted(SERVED_TYPES), [])
    assert plan("Observation", []) == (["Observation"], [])


def test_a_parameter_is_ready_only_when_all_its_bases_were_reindexed() -> None:
    one = param_from_json(
        {"url": "http://x/one", "code": "one", "type": "token", "base": ["Patient"],
         "expression": "Patient.id"}
    )  # fmt: skip
    two = param_from_json(
        {"url": "http://x/two", "code": "two", "type": "token", "base": ["Patient", "Group"],
         "expression": "Patient.id | Group.id"}
    )  # fmt: skip
    custom = {p.url: p for p in (one, two)}
    assert covered(custom, ["Patient"]) == [one]
    assert covered(custom, ["Group", "Patient"]) == [one, two]
