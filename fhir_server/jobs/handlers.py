"""The handler of each job kind the server runs (one line per kind)."""

from __future__ import annotations

from fhir_server import report_job
from fhir_server.bulk import export_job, import_job
from fhir_server.jobs.context import Handler
from fhir_server.store import reindex_job

HANDLERS: dict[str, Handler] = {
    export_job.KIND: export_job.run_export,
    import_job.KIND: import_job.run_import,
    reindex_job.KIND: reindex_job.run_reindex,
    report_job.KIND: report_job.run_report,
}
