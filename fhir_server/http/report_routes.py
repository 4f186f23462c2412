"""Status of an asynchronous ``$clinical-report``: ``GET [base]/_report-status/[job]``.

202 with ``Retry-After`` while the job is queued or running, 200 with the report once done,
500 with an OperationOutcome when it failed. Only a request with the kick-off's
``Authorization`` header (none when auth is off) sees the job; others get 404.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from operations.clinical_report import KIND, authorization_digest
from resources import error_codes, fhir_json
from resources.errors import Issue, NotFound, operation_outcome
from resources.ports import JobQueue

RETRY_AFTER = "2"


async def report_status(request: Request) -> Response:
    """Poll a report job."""
    jobs: JobQueue = request.app.state.jobs
    job = await jobs.get(str(request.path_params["job"]))
    caller = authorization_digest(request.headers.get("authorization", ""))
    if job is None or job.kind != KIND or job.params.get("auth") != caller:
        raise NotFound("No such report request", error_codes.REPORT_JOB_NOT_FOUND)
    if job.status in ("queued", "running"):
        return Response(status_code=202, headers={"Retry-After": RETRY_AFTER})
    if job.status != "done" or job.result is None:
        issue = Issue(
            "error",
            "exception",
            job.error or "The report failed",
            nv_code=error_codes.REPORT_JOB_FAILED,
        )
        return Response(
            fhir_json.dumps(operation_outcome([issue])), 500, media_type="application/fhir+json"
        )
    body = await asyncio.to_thread((Path(job.params["dir"]) / "output").read_bytes)
    return Response(body, 200, media_type=str(job.result["media_type"]))


REPORT_ROUTES = (("GET", "/fhir/_report-status/{job}", report_status),)
"""The report status route."""
