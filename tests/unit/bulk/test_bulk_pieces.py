"""Bulk pieces that need no server: kick-off checks, collection Bundles, the import state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fhir_server.bulk.import_cli import input_files
from fhir_server.bulk.import_state import ImportState
from fhir_server.bulk.loader import _as_transaction
from operations.bulk_export import _type_filters, _types
from operations.bulk_import import _input_path
from operations.parameters import Parameters
from resources.errors import Invalid
from resources.search.registry import default_registry

REGISTRY = default_registry()


def params(*entries: tuple[str, Any]) -> Parameters:
    """Parameters of string values."""
    return Parameters(tuple({"name": n, "valueString": v} for n, v in entries))


def test_export_types_per_level() -> None:
    assert _types(params(("_type", "Observation,Patient")), "system", REGISTRY) == [
        "Observation",
        "Patient",
    ]
    patient_level = _types(params(), "patient", REGISTRY)
    assert "Patient" in patient_level
    assert "Observation" in patient_level
    assert "Practitioner" not in patient_level
    assert _types(params(("_type", "Practitioner")), "patient", REGISTRY) == []
    with pytest.raises(Invalid):
        _types(params(("_type", "Nope")), "system", REGISTRY)


def test_type_filters_are_parsed_strictly() -> None:
    ok = params(("_typeFilter", "Observation?code=1234-5"))
    assert _type_filters(ok, ["Observation"], REGISTRY) == ["Observation?code=1234-5"]
    for bad in ("Observation", "Patient?name=x", "Observation?nope=1"):
        with pytest.raises(Invalid):
            _type_filters(params(("_typeFilter", bad)), ["Observation"], REGISTRY)


def test_collection_becomes_a_transaction() -> None:
    collection = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient"}},
            {"resource": {"resourceType": "Patient", "id": "p"}},
            {"fullUrl": "x"},
        ],
    }
    transaction = _as_transaction(collection)
    assert transaction["type"] == "transaction"
    assert [e["request"] for e in transaction["entry"]] == [
        {"method": "POST", "url": "Patient"},
        {"method": "PUT", "url": "Patient/p"},
    ]
    assert transaction["entry"][0]["fullUrl"] == "urn:uuid:1"


def test_import_state_survives_and_resets_on_change(tmp_path: Path) -> None:
    data = tmp_path / "a.ndjson"
    data.write_text("{}\n")
    state = ImportState.read(tmp_path / "state.json")
    state.entry(data)["lines"] = 1
    state.save()
    again = ImportState.read(tmp_path / "state.json")
    assert again.entry(data)["lines"] == 1
    data.write_text("{}\n{}\n")
    assert again.entry(data)["lines"] == 0
    (tmp_path / "bad.json").write_text("[")
    assert ImportState.read(tmp_path / "bad.json").files == {}


def test_input_files_walks_folders(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("sub/b.ndjson", "a.json", "notes.txt"):
        (tmp_path / name).write_text("")
    assert input_files([tmp_path]) == [tmp_path / "a.json", tmp_path / "sub" / "b.ndjson"]


def test_import_urls_stay_in_the_import_folder(tmp_path: Path) -> None:
    (tmp_path / "import").mkdir()
    (tmp_path / "import" / "ok.ndjson").write_text("")
    (tmp_path / "secret.ndjson").write_text("")
    assert _input_path("ok.ndjson", tmp_path) == (tmp_path / "import" / "ok.ndjson").resolve()
    absolute = f"file://{(tmp_path / 'import' / 'ok.ndjson').resolve()}"
    assert _input_path(absolute, tmp_path).name == "ok.ndjson"
    for bad in ("../secret.ndjson", "/etc/passwd", "missing.ndjson"):
        with pytest.raises(Invalid):
            _input_path(bad, tmp_path)
