"""Check counters and latency, in the Prometheus text format (prometheus_client)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)
"""Our own registry, so the exposition holds these metrics only (no process collectors)."""

CHECKS = Counter(
    "medication_interaction_checks",
    "Interaction checks run, by where they came from and whether they found something",
    ["trigger", "outcome"],
    registry=REGISTRY,
)
FINDINGS = Counter(
    "medication_interaction_findings",
    "Findings of interaction checks, by kind and severity",
    ["kind", "severity"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "medication_interaction_check_seconds",
    "Time to run one interaction check (matching and rules, without storage)",
    ["trigger"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)


def exposition() -> bytes:
    """The metrics in the Prometheus text exposition format."""
    return generate_latest(REGISTRY)
