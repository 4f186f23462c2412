"""What a bulk job's grant may cover and who may see the job (``smart_auth.bulk_access``)."""

from __future__ import annotations

import pytest

from resources import error_codes
from resources.errors import Forbidden
from resources.search.registry import default_registry
from smart_auth.bulk_access import (
    export_restriction,
    export_types,
    grant_from_params,
    grant_params,
    line_refusal,
    require_import,
    same_owner,
)
from smart_auth.context import AccessContext
from smart_auth.policy import NOTHING, AccessPolicy

APP = AccessContext("app", ("launch/patient", "patient/*.rs"), "u1", "Patient/p1", "p1", None, "t1")


def _policy(*scopes: str, patient: str | None = None) -> AccessPolicy:
    return AccessPolicy(AccessContext("c", scopes, None, None, patient), default_registry())


def test_the_grant_survives_the_job_parameters() -> None:
    assert grant_from_params(grant_params(APP)) == APP
    assert grant_params(None) is None
    assert grant_from_params(None) is None


def test_only_the_same_client_user_and_patient_own_a_job() -> None:
    recorded = grant_params(APP)
    assert same_owner(recorded, APP)
    refreshed = AccessContext("app", ("patient/Observation.rs",), "u1", "Patient/p1", "p1")
    assert same_owner(recorded, refreshed)  # a new token of the same grant
    assert not same_owner(recorded, AccessContext("app", APP.scopes, "u2", "Patient/p2", "p2"))
    assert not same_owner(recorded, AccessContext("other", APP.scopes, "u1", "Patient/p1", "p1"))
    assert not same_owner(recorded, None)
    assert not same_owner(None, APP)
    assert same_owner(None, None)


def test_export_needs_read_and_search() -> None:
    assert export_restriction(_policy("system/Observation.r"), "Observation") == NOTHING
    assert export_restriction(_policy("system/Observation.rs"), "Observation") is None
    patient = _policy("patient/*.rs", patient="p1")
    assert export_restriction(patient, "Observation") not in (None, NOTHING)
    assert export_restriction(patient, "Bundle") == NOTHING


def test_export_types_refuse_a_named_type_and_drop_unnamed_ones() -> None:
    policy = _policy("system/Patient.rs", "system/Observation.rs")
    assert export_types(policy, (), ["Condition", "Observation", "Patient"]) == [
        "Observation",
        "Patient",
    ]
    with pytest.raises(Forbidden) as refused:
        export_types(policy, ["Condition"], ["Condition"])
    assert refused.value.nv_code == error_codes.BULK_EXPORT_SCOPE
    with pytest.raises(Forbidden):
        export_types(policy, (), ["Condition"])


def test_import_needs_the_write_each_line_is_loaded_with() -> None:
    creator = _policy("system/Observation.c")
    require_import(creator, ["Observation", None], ["Observation"])
    with pytest.raises(Forbidden) as refused:
        require_import(creator, ["Patient"], ["Patient"])
    assert refused.value.nv_code == error_codes.BULK_IMPORT_SCOPE
    with pytest.raises(Forbidden):
        require_import(_policy("system/*.rs"), [None], ["Observation", "Patient"])
    assert line_refusal(creator, "Observation", "POST") is None
    refusal = line_refusal(creator, "Observation", "PUT")
    assert refusal is not None
    assert refusal.nv_code == error_codes.BULK_IMPORT_LINE_SCOPE
