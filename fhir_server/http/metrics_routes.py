"""``GET /metrics``: the safety-check metrics in the Prometheus text format."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

from operations.safety.metrics import exposition


async def metrics(request: Request) -> Response:
    """Counters and latency histograms of interaction checks."""
    return Response(exposition(), 200, media_type=CONTENT_TYPE_LATEST)


METRICS_ROUTES = (("GET", "/metrics", metrics),)
