"""``$reindex`` job status, and what a search is told about parameters whose index is not ready.

``GET [base]/_reindex-status/[job]``: 202 with ``X-Progress`` and ``Retry-After`` while the job
is queued or running, 200 with a Parameters resource (resources reindexed, types, parameters
made ready, seconds, resources/s) once done, 500 with an OperationOutcome when it failed.
``DELETE`` cancels it (202).

A search on a custom parameter whose index rows are not complete (defined after resources of
its type were written, and not reindexed since) is a 400 under ``Prefer: handling=strict``;
otherwise it runs on the rows there are (resources written since the parameter was defined)
with a warning saying so, naming the running reindex job's status URL or how to start one.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from fhir_server.http.responses import base_url, fhir_response
from fhir_server.store.search_params import IndexState, LiveSearchParams
from operations.reindex import KIND, STATUS_PATH
from resources import error_codes, fhir_json
from resources.errors import Invalid, Issue, NotFound, operation_outcome
from resources.jobs import JobInfo
from resources.ports import JobQueue
from resources.search.param_def import SearchParamDef

RETRY_AFTER = "2"


def _live(request: Request) -> LiveSearchParams | None:
    return getattr(request.app.state, "search_params", None)


def _why(base: str, resource_type: str, param: SearchParamDef, state: IndexState) -> str:
    head = f"The index of search parameter '{param.code}' ({param.url}) on {resource_type}"
    if state.status == "running" and state.job_id:
        return f"{head} is being rebuilt: see {base}/{STATUS_PATH}/{state.job_id}"
    if state.status == "failed" and state.job_id:
        return f"{head} failed to rebuild ({base}/{STATUS_PATH}/{state.job_id}): run $reindex again"
    return (
        f"{head} does not cover resources written before the parameter was defined: "
        f"POST {base}/{resource_type}/$reindex?url={param.url}"
    )


async def index_issues(
    request: Request, types: tuple[str, ...], params: list[tuple[str, str]], strict: bool
) -> list[dict[str, Any]]:
    """Warnings for the searched custom parameters whose index is not ready (``Invalid`` 400
    under strict handling). An index this process holds as not ready is looked up again
    before it is reported (``LiveSearchParams.state_now``): searches of ready ones read
    nothing more."""
    live = _live(request)
    if live is None or not live.custom:
        return []
    base = base_url(request)
    messages: list[str] = []
    for name, _ in params:
        code = name.partition(":")[0].partition(".")[0]
        for resource_type in types:
            param = live.registry.get(resource_type, code)
            state = live.state_of(param) if param is not None else None
            if param is None or state is None or state.status == "ready":
                continue
            state = await live.state_now(param)
            if state is not None and state.status != "ready":
                messages.append(_why(base, resource_type, param, state))
    messages = list(dict.fromkeys(messages))
    if messages and strict:
        issues = [
            Issue("error", "incomplete", m, nv_code=error_codes.SEARCH_INDEX_NOT_READY)
            for m in messages[1:]
        ]
        raise Invalid(messages[0], error_codes.SEARCH_INDEX_NOT_READY, issues=issues)
    suffix = "; the results cover only resources written since"
    return [
        Issue(
            "warning", "incomplete", m + suffix, nv_code=error_codes.SEARCH_INDEX_NOT_READY
        ).to_json()
        for m in messages
    ]


async def _job(request: Request) -> JobInfo:
    jobs: JobQueue = request.app.state.jobs
    job = await jobs.get(str(request.path_params["job"]))
    if job is None or job.kind != KIND or job.status == "cancelled":
        raise NotFound("No such reindex job", error_codes.REINDEX_JOB_NOT_FOUND)
    return job


def _result(job: JobInfo) -> dict[str, Any]:
    result = job.result or {}
    parameters: list[dict[str, Any]] = [
        {"name": "reindexed", "valueInteger": int(result.get("reindexed", 0))},
        {"name": "seconds", "valueDecimal": float(result.get("seconds", 0.0))},
    ]
    if result.get("resourcesPerSecond") is not None:
        parameters.append(
            {"name": "resourcesPerSecond", "valueDecimal": float(result["resourcesPerSecond"])}
        )
    parameters += [{"name": "type", "valueCode": t} for t in result.get("types", [])]
    parameters += [{"name": "url", "valueUri": u} for u in result.get("parameters", [])]
    return {"resourceType": "Parameters", "parameter": parameters}


async def reindex_status(request: Request) -> Response:
    """Poll a reindex job."""
    job = await _job(request)
    if job.status in ("queued", "running"):
        headers = {"X-Progress": job.progress or job.status, "Retry-After": RETRY_AFTER}
        return Response(status_code=202, headers=headers)
    if job.status == "failed":
        issue = Issue(
            "error",
            "exception",
            job.error or "The job failed",
            nv_code=error_codes.REINDEX_JOB_FAILED,
        )
        body = fhir_json.dumps(operation_outcome([issue]))
        return Response(body, 500, media_type="application/fhir+json")
    return fhir_response(request, _result(job), 200, {})


async def reindex_cancel(request: Request) -> Response:
    """Cancel a reindex job (what it reindexed stays; its parameters stay not ready)."""
    job = await _job(request)
    jobs: JobQueue = request.app.state.jobs
    await jobs.cancel(job.id)
    return Response(status_code=202)


REINDEX_ROUTES = (
    ("GET", f"/fhir/{STATUS_PATH}/{{job}}", reindex_status),
    ("DELETE", f"/fhir/{STATUS_PATH}/{{job}}", reindex_cancel),
)
"""Reindex job status routes."""
