"""Code systems, value sets and concept maps: the terminology core behind the operations."""

from terminology.codesystems.catalog import Catalog, catalog
from terminology.codesystems.concepts import CodeSystemIndex, Concept, index_from_resource
from terminology.codesystems.sources import Overlay, Sources

__all__ = [
    "Catalog",
    "CodeSystemIndex",
    "Concept",
    "Overlay",
    "Sources",
    "catalog",
    "index_from_resource",
]
