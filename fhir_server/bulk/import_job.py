"""The ``bulk-import`` job: load each input's NDJSON lines in batched transactions.

Refused lines (not JSON, not a resource, invalid, a type other than the input's ``type``,
a type or a resource the kick-off token may not write) become OperationOutcomes, one per line,
in ``errors.ndjson``; the rest is loaded. With auth on, the job writes through the
``PolicyStore`` of the grant recorded at kick-off, so a line is held to exactly what the same
token's create or update would be (a patient-level token writes only its own compartment).
After each batch the position in each input and the error file's size are checkpointed, so a resumed
job goes on after the last loaded batch. The next batches are prepared (parsed, validated, most
index rows computed: ``Loader.stream``) while one is written; what is checkpointed is written.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from fhir_server.bulk.loader import LineError, Loaded, Loader
from fhir_server.jobs.context import JobContext
from fhir_server.store.policy_store import PolicyStore
from resources.ports import ResourceStore
from smart_auth.bulk_access import grant_from_params, line_refusal
from smart_auth.policy import AccessPolicy, policy_for

KIND = "bulk-import"
BATCH = 500
ERRORS = "errors.ndjson"


def _lines(path: Path, skip: int) -> Iterator[tuple[int, bytes]]:
    with path.open("rb") as handle:
        for number, text in enumerate(handle, start=1):
            if number > skip and text.strip():
                yield number, text


def _outcome(url: str, error: LineError) -> bytes:
    outcome = dict(error.outcome) or {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "invalid", "diagnostics": error.message}],
    }
    outcome["issue"] = [
        {**issue, "diagnostics": f"{url} line {error.line}: {issue.get('diagnostics', '')}"}
        for issue in outcome.get("issue", [])
    ]
    return orjson.dumps(outcome) + b"\n"


def _typed(
    wanted: str | None, numbered: list[tuple[int, bytes]]
) -> tuple[list[tuple[int, bytes]], Loaded]:
    """Lines of the input's declared type; the others refused."""
    if not wanted:
        return numbered, Loaded()
    kept, refused = [], Loaded()
    for number, text in numbered:
        try:
            found = orjson.loads(text)
        except orjson.JSONDecodeError:
            found = None  # the loader reports it
        if not isinstance(found, dict) or found.get("resourceType") == wanted:
            kept.append((number, text))
        else:
            message = f"The line is not a {wanted}, the input's type"
            refused.errors.append(LineError(number, message, {}))
    return kept, refused


def _in_scope(
    policy: AccessPolicy | None, numbered: list[tuple[int, bytes]]
) -> tuple[list[tuple[int, bytes]], Loaded]:
    """Lines whose type the token may write as they would be loaded (PUT with an id, POST
    without); the others refused before they reach the store."""
    if policy is None:
        return numbered, Loaded()
    kept, refused = [], Loaded()
    for number, text in numbered:
        try:
            found = orjson.loads(text)
        except orjson.JSONDecodeError:
            found = None  # the loader reports it
        kind = found.get("resourceType") if isinstance(found, dict) else None
        if not isinstance(found, dict) or not isinstance(kind, str):
            kept.append((number, text))
            continue
        method = "PUT" if isinstance(found.get("id"), str) and found["id"] else "POST"
        refusal = line_refusal(policy, kind, method)
        if refusal is None:
            kept.append((number, text))
        else:
            refused.errors.append(LineError(number, refusal.message, refusal.outcome()))
    return kept, refused


def _batches(
    source: dict[str, Any], skip: int, policy: AccessPolicy | None
) -> Iterator[tuple[tuple[int, list[LineError]], list[tuple[int, bytes]]]]:
    """Per batch of the input: (its last line number, the lines refused before the loader),
    and the lines for the loader."""
    lines = _lines(Path(source["path"]), skip)
    while batch := list(islice(lines, BATCH)):
        kept, refused = _typed(source.get("type"), batch)
        kept, outside = _in_scope(policy, kept)
        yield (batch[-1][0], refused.errors + outside.errors), kept


async def _load_input(
    ctx: JobContext,
    loader: Loader,
    index: int,
    state: dict[str, Any],
    errors: BinaryIO,
    policy: AccessPolicy | None,
) -> None:
    """One input, batch by batch (the next ones prepared while one is written), each
    checkpointed with the error file's size once written."""
    source = ctx.params["inputs"][index]
    progress = state["inputs"].setdefault(str(index), {"lines": 0, "count": 0})
    stream = loader.stream(_batches(source, int(progress["lines"]), policy))
    async with contextlib.aclosing(stream):
        async for (last, refused), result in stream:
            for error in sorted(refused + result.errors, key=lambda e: e.line):
                errors.write(_outcome(source["url"], error))
                state["errors"] += 1
            errors.flush()
            progress.update(lines=last, count=progress["count"] + result.resources)
            state["error_bytes"] = errors.tell()
            done = sum(int(p["count"]) for p in state["inputs"].values())
            await ctx.checkpoint(state, f"{done} resources imported, {state['errors']} refused")


async def run_import(ctx: JobContext) -> dict[str, Any]:
    """The job handler: every input, then the manifest's ``output`` and ``error``."""
    registry = ctx.services["registry"]
    access = grant_from_params(ctx.params.get("access"))
    policy = None if access is None else policy_for(access, registry)
    store: ResourceStore = ctx.services["store"]
    if policy is not None:
        store = PolicyStore(store, policy)
    workers = int(ctx.services["settings"].bulk_import_workers)
    loader = Loader(store, registry, ctx.params["request"].removesuffix("/$import"), workers)
    folder = Path(ctx.params["dir"])
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    state = ctx.state or {"inputs": {}, "error_bytes": 0, "errors": 0}
    errors_path = folder / ERRORS
    try:
        with errors_path.open("r+b" if state["error_bytes"] else "wb") as errors:
            errors.truncate(state["error_bytes"])
            errors.seek(state["error_bytes"])
            for index in range(len(ctx.params["inputs"])):
                await _load_input(ctx, loader, index, state, errors, policy)
    finally:
        loader.close()
    output = [
        {
            "type": source.get("type") or "Resource",
            "inputUrl": source["url"],
            "count": state["inputs"][str(i)]["count"],
        }
        for i, source in enumerate(ctx.params["inputs"])
    ]
    refused = (
        [{"type": "OperationOutcome", "file": ERRORS, "count": state["errors"]}]
        if state["errors"]
        else []
    )
    return {"output": output, "error": refused}
