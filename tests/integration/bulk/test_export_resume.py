"""An export interrupted by a server stop resumes in the next server from its checkpoint:
every resource is written exactly once (no line lost, none repeated).

The servers here use a database of their own, so no other server's runner takes the job.
The export must still be running when its server stops, however fast the machine: once it
has written a few lines, the test locks the stored versions (``LOCK TABLE``, as a long
migration would), so the export's next batch waits on the lock and the server stops it
there; the lock is let go only after the stop.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from fhir_server.embedded import ServiceUrls
from fhir_server.settings import Settings
from tests.integration.bulk.conftest import wait_for
from tests.integration.bundle_http import bundle, post_bundle, put_entry
from tests.servers import fresh_database, running_server, sql_connection
from tests.synthea import bundle_paths, synthea_resources

pytestmark = pytest.mark.integration

ASYNC = {"Prefer": "respond-async"}
LINES_BEFORE_STOP = 5


def _written(client: httpx.Client, status: str) -> int:
    response = client.get(status)
    assert response.status_code == 202, "the export finished before it could be interrupted"
    first = response.headers["X-Progress"].split()[0]
    return int(first) if first.isdigit() else 0


def _stopped_mid_way(client: httpx.Client, status: str, conn: psycopg.Connection[Any]) -> None:
    """Return holding ``resource_version`` locked against reads, once the export has written
    ``LINES_BEFORE_STOP`` lines.

    Its progress is read under the lock: the export cannot read another batch after that,
    so it cannot finish before ``conn`` rolls back. Between two reads the lock is let go for
    a moment only, so the export moves on by about one batch each time."""
    deadline = time.monotonic() + 30
    while True:
        conn.execute("LOCK TABLE resource_version IN ACCESS EXCLUSIVE MODE")
        if _written(client, status) >= LINES_BEFORE_STOP:
            return
        conn.rollback()
        assert time.monotonic() < deadline


def test_export_resumes_after_a_restart(services: ServiceUrls, tmp_path: Path) -> None:
    with fresh_database(services.database_url) as database_url:
        urls = ServiceUrls(database_url, services.redis_url)
        slow = Settings(
            data_dir=tmp_path,
            jobs_poll_seconds=0.1,
            bulk_export_batch=1,
            bulk_export_parallel=1,
            auth_required=False,
        )
        with sql_connection(database_url) as conn:
            conn.autocommit = False  # the lock lasts until the rollback
            conn.execute("SET lock_timeout = '20s'")  # never hang the run
            conn.commit()
            with (
                running_server(urls, slow) as base,
                httpx.Client(base_url=base, timeout=60) as http,
            ):
                resources = synthea_resources(bundle_paths()[:1])
                post_bundle(http, bundle("transaction", [put_entry(r) for r in resources]))
                expected = sum(1 for r in resources if r["resourceType"] == "Observation")
                response = http.get("/$export?_type=Observation", headers=ASYNC)
                status = response.headers["Content-Location"].removeprefix(base)
                _stopped_mid_way(http, status, conn)
            conn.rollback()  # the server has stopped: let the versions go
            first = _exported_before_stop(tmp_path)
            assert LINES_BEFORE_STOP <= len(first) < expected
            # gone now, so only an export that goes on from its checkpoint still holds it
            conn.execute(
                "UPDATE resource SET deleted = true WHERE resource_type = 'Observation'"
                " AND id = %s",
                (first[0],),
            )
            conn.commit()
        fast = Settings(data_dir=tmp_path, jobs_poll_seconds=0.1, auth_required=False)
        with running_server(urls, fast) as base, httpx.Client(base_url=base, timeout=60) as http:
            done = wait_for(http, status)
            assert done.status_code == 200, done.text
            (output,) = done.json()["output"]
            assert output["count"] == expected
            text = http.get(output["url"]).text
        ids = [json.loads(line)["id"] for line in text.splitlines()]
        assert ids[: len(first)] == first
        assert len(ids) == expected
        assert len(set(ids)) == expected


def _exported_before_stop(data_dir: Path) -> list[str]:
    """The ids of the lines the stopped server left in the part's file."""
    files = list((data_dir / "bulk").glob("*/Observation.ndjson"))
    assert len(files) == 1
    return [json.loads(line)["id"] for line in files[0].read_bytes().splitlines()]
