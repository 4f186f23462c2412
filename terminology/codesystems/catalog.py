"""The terminology shipped with the server, loaded lazily on first use.

- the FHIR R4 code systems, value sets and concept maps (``data/fhir-r4-terminology.json.gz``,
  a compact copy made by ``terminology.codesystems.build``);
- ICD-10-CM (``terminology.icd10cm``), the LOINC subset (``terminology.loinc``) and UCUM
  (``terminology.ucum``, a grammar rather than a list).

Implicit value sets (``<system>?fhir_vs`` for all codes, ``?fhir_vs=isa/<code>``) are built on
request for every code system.
"""

from __future__ import annotations

import functools
import gzip
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from importlib.resources import files
from typing import Any

from terminology.codesystems.concepts import CodeSystemIndex, index_from_resource
from terminology.codesystems.sources import version_matches

DATA_FILE = "fhir-r4-terminology.json.gz"
Json = Mapping[str, Any]


def _icd10cm() -> CodeSystemIndex:
    from terminology.icd10cm import code_system

    return code_system()


def _loinc() -> CodeSystemIndex:
    from terminology.loinc import code_system

    return code_system()


def _ucum() -> CodeSystemIndex:
    from terminology.ucum import code_system

    return code_system()


SHIPPED_SYSTEMS: dict[str, Callable[[], CodeSystemIndex]] = {
    "http://hl7.org/fhir/sid/icd-10-cm": _icd10cm,
    "http://loinc.org": _loinc,
    "http://unitsofmeasure.org": _ucum,
}
"""Code systems kept in their own packages, by URL."""


class Catalog:
    """Shipped code systems, value sets and concept maps by canonical URL (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._resources: dict[str, dict[str, Json]] | None = None
        self._maps: list[Json] = []
        self._indexed: dict[str, CodeSystemIndex] = {}

    def _load(self) -> dict[str, dict[str, Json]]:
        with self._lock:
            if self._resources is None:
                raw = files("terminology.codesystems").joinpath("data", DATA_FILE).read_bytes()
                by_type: dict[str, dict[str, Json]] = {"CodeSystem": {}, "ValueSet": {}}
                for resource in json.loads(gzip.decompress(raw)):
                    kind = resource["resourceType"]
                    if kind == "ConceptMap":
                        self._maps.append(resource)
                    else:
                        by_type[kind][resource["url"]] = resource
                self._resources = by_type
            return self._resources

    def code_system(self, url: str, version: str | None = None) -> CodeSystemIndex | None:
        """The shipped code system with this URL (and version, when one is asked for)."""
        index = self._indexed.get(url)
        if index is None:
            index = self._index(url)
            if index is None:
                return None
        return index if version_matches(version, index.version) else None

    def _index(self, url: str) -> CodeSystemIndex | None:
        shipped = SHIPPED_SYSTEMS.get(url)
        if shipped is not None:
            index = shipped()
        else:
            resource = self._load()["CodeSystem"].get(url)
            if resource is None:
                return None
            index = index_from_resource(resource)
        with self._lock:
            return self._indexed.setdefault(url, index)

    def code_system_resource(self, url: str) -> Json | None:
        """The shipped CodeSystem resource (FHIR-defined systems only)."""
        return self._load()["CodeSystem"].get(url)

    def value_set(self, url: str, version: str | None = None) -> Json | None:
        """The shipped ValueSet with this URL, or an implicit ``?fhir_vs`` one."""
        if "?fhir_vs" in url:
            return implicit_value_set(url)
        resource = self._load()["ValueSet"].get(url)
        if resource is None or not version_matches(version, resource.get("version")):
            return None
        return resource

    def concept_maps(self) -> Iterable[Json]:
        """The shipped ConceptMaps."""
        self._load()
        return list(self._maps)

    def urls(self, resource_type: str) -> list[str]:
        """The canonical URLs of the shipped resources of a type (ConceptMap included)."""
        if resource_type == "ConceptMap":
            self._load()
            return [str(m.get("url")) for m in self._maps]
        urls = list(self._load().get(resource_type, {}))
        if resource_type == "CodeSystem":
            urls.extend(SHIPPED_SYSTEMS)
        return urls


def implicit_value_set(url: str) -> Json | None:
    """``<system>?fhir_vs`` (every code) or ``<system>?fhir_vs=isa/<code>`` as a ValueSet."""
    system, _, query = url.partition("?fhir_vs")
    include: dict[str, Any] = {"system": system}
    if query.startswith("=isa/") and len(query) > len("=isa/"):
        include["filter"] = [{"property": "concept", "op": "is-a", "value": query[5:]}]
    elif query:
        return None
    return {"resourceType": "ValueSet", "url": url, "status": "active",
            "compose": {"include": [include]}}  # fmt: skip


@functools.cache
def catalog() -> Catalog:
    """The process-wide catalog of shipped terminology."""
    return Catalog()
