"""FHIR operations, one module each; ``REGISTRY`` lists them for routing and conformance."""

from __future__ import annotations

from types import ModuleType

REGISTRY: tuple[ModuleType, ...] = ()
