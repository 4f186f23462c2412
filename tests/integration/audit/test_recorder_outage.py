"""The audit queue across a database outage: events kept, one error logged, all written
once PostgreSQL answers again."""

from __future__ import annotations

import asyncio
import logging

import pytest

from fhir_server.audit.events import Actor, EventFacts, build_event
from fhir_server.audit.recorder import AuditRecorder
from fhir_server.db import migrate
from fhir_server.db.engine import create_engine
from fhir_server.embedded import ServiceUrls
from tests.servers import free_port, fresh_database, sql_connection

pytestmark = pytest.mark.integration

INTERVAL_S = 0.01
RECOVERY_PASSES = 3000  # 30 s at most


async def _through_an_outage(database_url: str, ids: list[str]) -> None:
    away = create_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none", 1)
    there = create_engine(database_url, 1)
    recorder = AuditRecorder(away, max_queued=100, interval_s=INTERVAL_S)
    try:
        recorder.start()
        for event_id in ids:
            row = build_event(EventFacts("read", Actor("outage-test"), 200, (), None, None))
            await recorder.record(
                {**row, "id": event_id, "event": {**row["event"], "id": event_id}}
            )
        await asyncio.sleep(60 * INTERVAL_S)  # tens of failed passes
        assert recorder.outage.failures > 1
        recorder.engine = there  # PostgreSQL is back
        for _ in range(RECOVERY_PASSES):  # until a pass has worked
            if not recorder.outage.failures:
                break
            await asyncio.sleep(INTERVAL_S)
    finally:
        await recorder.close()
        await away.dispose()
        await there.dispose()


def test_queued_events_survive_an_outage_and_it_is_logged_once(
    services: ServiceUrls, caplog: pytest.LogCaptureFixture
) -> None:
    ids = [f"outage-{n}" for n in range(3)]
    with fresh_database(services.database_url) as url:
        migrate.upgrade(url)
        with caplog.at_level(logging.INFO, "fhir_server.audit.recorder"):
            asyncio.run(_through_an_outage(url, ids))
        with sql_connection(url) as conn:
            written = conn.execute(
                "SELECT id FROM audit_event WHERE id = ANY(%s) AND seq IS NOT NULL", [ids]
            ).fetchall()
    assert sorted(row[0] for row in written) == ids
    messages = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert messages[0] == (
        logging.ERROR,
        "audit flush failed; 3 events kept queued; retrying, the next failures are not logged each",
    )
    assert len(messages) == 2, messages
    assert messages[1][0] == logging.WARNING
    assert messages[1][1].startswith("audit flush works again after ")
