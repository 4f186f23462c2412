"""``$import`` at system level: NDJSON files from the server's data directory, or uploaded.

Modelled on the Bulk Data import proposal (https://github.com/smart-on-fhir/bulk-import) and
HAPI's ``$import``: a ``Parameters`` body with ``inputFormat`` and one ``input`` per file
(parts ``type`` and ``url``; the url is a path under the data directory's ``import/`` folder,
or ``file:`` URL of one), or an ``application/fhir+ndjson`` body uploaded as it is. Like
``$export`` it needs ``Prefer: respond-async`` and answers 202 with a status URL; the
``bulk-import`` job validates every line as a create or update would, loads them in batched
transactions, and lists refused lines as NDJSON OperationOutcomes in the manifest's ``error``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from operations.base import OperationContext, OperationResult
from operations.bulk_export import NDJSON_FORMATS, accepted, require_async
from operations.parameters import Parameters
from resources import error_codes
from resources.errors import Invalid, ServiceUnavailable
from resources.identity import instant, new_id, now
from resources.ports import JobQueue
from resources.resource_types import SERVED_TYPES
from resources.search.registry import SearchRegistry, default_registry
from smart_auth.bulk_access import grant_params, require_import
from smart_auth.policy import policy_for

DEFINITION: dict[str, Any] = {
    "resourceType": "OperationDefinition",
    "id": "import",
    "url": "https://nutrivision.example.org/fhir/OperationDefinition/import",
    "name": "BulkDataImport",
    "status": "active",
    "kind": "operation",
    "code": "import",
    "system": True,
    "type": False,
    "instance": False,
    "affectsState": True,
    "parameter": [
        {"name": "inputFormat", "use": "in", "min": 0, "max": "1", "type": "code"},
        {"name": "inputSource", "use": "in", "min": 0, "max": "1", "type": "uri"},
        {
            "name": "input",
            "use": "in",
            "min": 0,
            "max": "*",
            "part": [
                {"name": "type", "use": "in", "min": 0, "max": "1", "type": "code"},
                {"name": "url", "use": "in", "min": 1, "max": "1", "type": "uri"},
            ],
        },
    ],
}

RAW_MEDIA_TYPES = ("application/fhir+ndjson", "application/ndjson")
KIND = "bulk-import"
IMPORT_FOLDER = "import"
"""Files to import by URL live under this folder of the data directory."""


def _bad(message: str) -> Invalid:
    return Invalid(message, error_codes.IMPORT_BAD_INPUT)


def _services(ctx: OperationContext) -> tuple[JobQueue, Path, Path]:
    queue, bulk, data = (ctx.services.get(k) for k in ("jobs", "bulk_dir", "data_dir"))
    if queue is None or bulk is None or data is None:
        raise ServiceUnavailable(
            "$import is not available on this server", error_codes.BULK_UNAVAILABLE
        )
    return queue, Path(str(bulk)), Path(str(data))


def _part(entry: dict[str, Any], name: str) -> Any:
    for part in entry.get("part", []):
        if isinstance(part, dict) and part.get("name") == name:
            return next((v for k, v in part.items() if k.startswith("value")), None)
    return None


def _input_path(url: str, data_dir: Path) -> Path:
    """The file a url names: under ``import/`` of the data directory, nowhere else."""
    path_text = urlparse(url).path if url.startswith("file:") else url
    root = (data_dir / IMPORT_FOLDER).resolve()
    path = (root / path_text).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise _bad(f"{url!r} is not a file under the server's {IMPORT_FOLDER}/ folder")
    return path


async def _inputs(
    ctx: OperationContext, params: Parameters, folder: Path, data: Path
) -> list[dict[str, Any]]:
    if ctx.content_type.split(";")[0].strip().lower() in RAW_MEDIA_TYPES:
        if not ctx.body.strip():
            raise _bad("The uploaded NDJSON is empty")
        upload = folder / "upload.ndjson"
        await asyncio.to_thread(_save, upload, ctx.body)
        return [{"type": None, "url": "upload", "path": str(upload)}]
    fmt = params.value("inputFormat")
    if fmt is not None and str(fmt) not in NDJSON_FORMATS:
        raise _bad(f"inputFormat {fmt!r} is not supported: use application/fhir+ndjson")
    inputs = []
    for entry in params.all("input"):
        url = _part(entry, "url")
        if not isinstance(url, str):
            raise _bad("Each input needs a url")
        path = await asyncio.to_thread(_input_path, url, data)
        inputs.append({"type": _part(entry, "type"), "url": url, "path": str(path)})
    if not inputs:
        raise _bad("$import needs at least one input, or an NDJSON body")
    return inputs


def _save(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body if body.endswith(b"\n") else body + b"\n")


async def handle(ctx: OperationContext, params: Parameters) -> OperationResult:
    """Check the request, keep an upload, and queue the import; 202 with the status URL."""
    require_async(ctx)
    queue, bulk, data = _services(ctx)
    folder = bulk / new_id()
    _check_scopes(ctx, params)
    inputs = await _inputs(ctx, params, folder, data)
    job = await queue.submit(
        KIND,
        {
            "inputs": inputs,
            "transaction_time": instant(now()),
            "request": f"{ctx.base_url}/$import",
            "requires_access_token": ctx.access is not None,
            "access": grant_params(ctx.access),
            "dir": str(folder),
        },
    )
    return accepted(ctx, job)


def _check_scopes(ctx: OperationContext, params: Parameters) -> None:
    """403 unless the token may write every declared input type (some type, for inputs
    that declare none, and for an upload), checked before anything is saved; the job then
    judges each line as the store judges a write."""
    if ctx.access is None:
        return
    registry = ctx.services.get("registry")
    registry = registry if isinstance(registry, SearchRegistry) else default_registry()
    declared: list[str | None] = [None]
    if ctx.content_type.split(";")[0].strip().lower() not in RAW_MEDIA_TYPES:
        types = (_part(entry, "type") for entry in params.all("input"))
        declared = [str(t) if t else None for t in types] or [None]
    require_import(policy_for(ctx.access, registry), declared, SERVED_TYPES)
