"""Finding and rewriting references between Bundle entries."""

from __future__ import annotations

from resources.bundle_references import (
    is_conditional,
    is_placeholder,
    reference_holders,
    references,
    rewrite,
    rewrite_holders,
)


def test_references_are_found_at_any_depth() -> None:
    resource = {
        "subject": {"reference": "urn:uuid:a"},
        "extension": [{"valueReference": {"reference": "Patient/1"}}],
        "contained": [{"resourceType": "Provenance", "target": [{"reference": "urn:uuid:a"}]}],
        "reference": 3,
    }
    assert sorted(references(resource)) == ["Patient/1", "urn:uuid:a", "urn:uuid:a"]


def test_rewrite_replaces_only_reference_keys() -> None:
    resource = {
        "subject": {"reference": "urn:uuid:a", "display": "urn:uuid:a"},
        "content": [{"attachment": {"url": "urn:uuid:a"}}],
        "focus": [{"reference": "urn:uuid:b"}],
    }
    rewritten = rewrite(resource, {"urn:uuid:a": "Patient/x"})
    assert rewritten == {
        "subject": {"reference": "Patient/x", "display": "urn:uuid:a"},
        "content": [{"attachment": {"url": "urn:uuid:a"}}],
        "focus": [{"reference": "urn:uuid:b"}],
    }
    assert resource["subject"] == {"reference": "urn:uuid:a", "display": "urn:uuid:a"}


def test_holders_are_rewritten_in_place_at_any_depth() -> None:
    resource = {
        "subject": {"reference": "urn:uuid:a", "display": "urn:uuid:a"},
        "content": [{"attachment": {"url": "urn:uuid:a"}}],
        "extension": [{"valueReference": {"reference": "urn:uuid:b"}}],
        "contained": [{"resourceType": "Provenance", "target": [{"reference": "urn:uuid:a"}]}],
        "focus": [{"reference": "Patient/1"}, {"reference": 3}],
    }
    holders = reference_holders(resource)
    assert sorted(h["reference"] for h in holders) == sorted(references(resource))
    rewrite_holders(holders, {"urn:uuid:a": "Patient/x", "urn:uuid:b": "Group/y"})
    assert resource == {
        "subject": {"reference": "Patient/x", "display": "urn:uuid:a"},
        "content": [{"attachment": {"url": "urn:uuid:a"}}],
        "extension": [{"valueReference": {"reference": "Group/y"}}],
        "contained": [{"resourceType": "Provenance", "target": [{"reference": "Patient/x"}]}],
        "focus": [{"reference": "Patient/1"}, {"reference": 3}],
    }


def test_kinds_of_reference() -> None:
    assert is_placeholder("urn:uuid:1")
    assert is_placeholder("urn:oid:1.2")
    assert not is_placeholder("Patient/1")
    assert is_conditional("Patient?identifier=a|b")
    assert not is_conditional("Patient/1?x=y")
    assert not is_conditional("http://x/Patient?identifier=a")
    assert not is_conditional("Patient/1")
