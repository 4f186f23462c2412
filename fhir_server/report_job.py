"""The ``clinical-report`` job: render a report whose record was read at kick-off.

The kick-off (``operations.clinical_report``) reads the record through the caller's store and
writes it to ``input.json`` in the job's folder, so the job reads nothing with wider rights
than the caller had; it renders and writes ``output`` beside it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from fhir_server.jobs.context import JobContext
from operations.clinical_report import KIND, render_input

__all__ = ["KIND", "run_report"]


async def run_report(ctx: JobContext) -> dict[str, Any]:
    """Render the report; the result names its media type."""
    folder = Path(ctx.params["dir"])
    text = await asyncio.to_thread((folder / "input.json").read_text, "utf-8")
    body, media_type = await asyncio.to_thread(render_input, json.loads(text))
    await asyncio.to_thread((folder / "output").write_bytes, body)
    return {"media_type": media_type, "bytes": len(body)}
