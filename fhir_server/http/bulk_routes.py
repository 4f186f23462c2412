"""Bulk Data status and files (https://hl7.org/fhir/uv/bulkdata/STU2/export.html).

``GET [base]/_bulk-status/[job]``: 202 with ``X-Progress`` and ``Retry-After`` while the job
is queued or running, 200 with the manifest once done, 500 with an OperationOutcome when it
failed; ``DELETE`` cancels the job and deletes its files (202), after which the URL is 404.
``GET [base]/_bulk-files/[job]/[file]`` streams one NDJSON file of a finished export.

All three answer only the grant that started the job (same client, user, patient and
``fhirUser``, ``smart_auth.bulk_access.same_owner``; the bearer guard has checked the token
already); anyone else gets the 404 of a job that does not exist, so job ids leak nothing.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from fhir_server.http.responses import base_url
from resources import error_codes, fhir_json
from resources.errors import Issue, NotFound, operation_outcome
from resources.identity import instant
from resources.jobs import JobInfo
from resources.ports import JobQueue
from smart_auth.bulk_access import same_owner
from smart_auth.context import AccessContext

BULK_KINDS = frozenset({"bulk-export", "bulk-import"})
FILE_NAME = re.compile(r"^[A-Za-z]+\.ndjson$")
NDJSON = "application/fhir+ndjson"
RETRY_AFTER = "2"


def _jobs(request: Request) -> JobQueue:
    jobs: JobQueue = request.app.state.jobs
    return jobs


async def _job(request: Request) -> JobInfo:
    """The bulk job the URL names; cancelled ones are gone (404) as the protocol says, and
    another grant's jobs are answered exactly as absent ones."""
    job = await _jobs(request).get(str(request.path_params["job"]))
    access: AccessContext | None = getattr(request.state, "access", None)
    if (
        job is None
        or job.kind not in BULK_KINDS
        or job.status == "cancelled"
        or not same_owner(job.params.get("access"), access)
    ):
        raise NotFound("No such bulk data request", error_codes.BULK_JOB_NOT_FOUND)
    return job


def manifest(base: str, job: JobInfo) -> dict[str, Any]:
    """The completion manifest: files as URLs on this server."""
    result = job.result or {}

    def files(key: str) -> list[dict[str, Any]]:
        listed = []
        for item in result.get(key, []):
            shown = {k: v for k, v in item.items() if k != "file"}
            if "file" in item:
                shown["url"] = f"{base}/_bulk-files/{job.id}/{item['file']}"
            listed.append(shown)
        return listed

    document = {
        "transactionTime": job.params.get("transaction_time") or instant(job.created_at),
        "request": job.params.get("request", ""),
        "requiresAccessToken": bool(job.params.get("requires_access_token")),
        "output": files("output"),
        "error": files("error"),
    }
    if result.get("deleted"):
        document["deleted"] = files("deleted")
    return document


async def bulk_status(request: Request) -> Response:
    """Poll a bulk job."""
    job = await _job(request)
    if job.status in ("queued", "running"):
        progress = job.progress or job.status
        return Response(
            status_code=202, headers={"X-Progress": progress, "Retry-After": RETRY_AFTER}
        )
    if job.status == "failed":
        issue = Issue(
            "error", "exception", job.error or "The job failed", nv_code=error_codes.BULK_JOB_FAILED
        )
        body = fhir_json.dumps(operation_outcome([issue]))
        return Response(body, 500, media_type="application/fhir+json")
    return JSONResponse(manifest(base_url(request), job))


async def bulk_cancel(request: Request) -> Response:
    """Cancel a bulk job and delete its files."""
    job = await _job(request)
    await _jobs(request).cancel(job.id)
    folder = job.params.get("dir")
    if folder:
        await asyncio.to_thread(shutil.rmtree, folder, True)
    return Response(status_code=202)


async def bulk_file(request: Request) -> Response:
    """One file of a finished bulk job (export output, import errors), streamed."""
    job = await _job(request)
    name = str(request.path_params["name"])
    folder = job.params.get("dir")
    result = job.result or {}
    listed = {f.get("file") for key in ("output", "error", "deleted") for f in result.get(key, [])}
    if job.status != "done" or not folder or not FILE_NAME.match(name) or name not in listed:
        raise NotFound(
            f"No file {name!r} in this bulk data request", error_codes.BULK_FILE_NOT_FOUND
        )
    return FileResponse(Path(folder) / name, media_type=NDJSON)


BULK_ROUTES = (
    ("GET", "/fhir/_bulk-status/{job}", bulk_status),
    ("DELETE", "/fhir/_bulk-status/{job}", bulk_cancel),
    ("GET", "/fhir/_bulk-files/{job}/{name}", bulk_file),
)
"""Bulk Data status and file routes."""
