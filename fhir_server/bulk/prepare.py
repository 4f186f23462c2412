"""The CPU-bound part of loading NDJSON lines, done before the write, in worker processes.

Per line: parsing, the content validation (``validation_issues``, three quarters of
``validate``'s cost) and the index rows of the version it creates, but for the parameters that
read the version's meta (``early_rows``): some 80 % of a line's CPU, in a process of its own
while the loading process writes the batch before. A line the write can take as it is gets
``ready``; a line every transaction refuses (not JSON, not a resource of a served type, a bad
id, invalid) is not, and takes the ordinary path (``Loader``), which reports
exactly what its transaction reports. A batch goes the ordinary way whole when it names one
resource on two lines (a transaction refuses a target written twice), or when a line that may
load cannot be ready (a placeholder or conditional reference). Run in the loading process
(no workers), the rows are left to the write: computing them in two parts costs more.

The workers are forked from the loading process, so they hold its PHI keys (index values of
PHI parameters are keyed digests) and its registry; they touch no database.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Literal

from fhir_server.store.create_many import with_meta
from fhir_server.store.early_rows import STAND_IN, early_rows, splits
from resources import fhir_json
from resources.bundle_references import is_conditional, is_placeholder, references
from resources.errors import Invalid
from resources.identity import check_id, new_id
from resources.model import is_served_type, validation_issues
from resources.search.registry import SearchRegistry

Numbered = list[tuple[int, bytes]]
"""NDJSON lines with their numbers in the file."""
_worker_registry: list[SearchRegistry] = []
PR_SET_PDEATHSIG = 1
"""``prctl`` option: the signal this process gets when its parent ends (linux/prctl.h)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """A line, and when the write can take it as is, what the worker found for it."""

    number: int
    text: bytes
    resource_type: str = ""
    id_: str = ""
    """The line's id (PUT), or one given to it (POST: the line has none)."""
    method: Literal["POST", "PUT"] = "POST"
    ready: bool = False
    """Whether the write can take the line as it is; else it takes the ordinary path."""
    rows: dict[str, bytes] | None = None
    """``early_rows`` of its version, when asked for; None: all extracted at the write."""


def _target(resource: dict[str, Any]) -> tuple[str, str] | None:
    """(type, id) of a line the loader PUTs, as ``Loader`` makes its request."""
    id_ = resource.get("id")
    return (str(resource.get("resourceType")), id_) if isinstance(id_, str) and id_ else None


def _settled(body: dict[str, Any]) -> bool:
    """No reference a transaction would resolve first (placeholder or conditional)."""
    return not any(is_placeholder(ref) or is_conditional(ref) for ref in references(body))


def _valid_id(id_: str) -> bool:
    try:
        check_id(id_)
    except Invalid:
        return False
    return True


def _refused(kind: str, method: str, id_: str, body: dict[str, Any]) -> bool:
    """Whether every transaction refuses the line (and it writes nothing wherever it runs)."""
    if not is_served_type(kind) or (method == "PUT" and not _valid_id(id_)):
        return True
    return bool(validation_issues(body))


def _line(
    number: int, text: bytes, registry: SearchRegistry, rows: bool
) -> tuple[Prepared, Any, bool]:
    """The line prepared, its target (a PUT's type and id) when it has one, and whether it
    is a line that may load but not as a ready one."""
    ordinary = Prepared(number, text)
    try:
        resource = fhir_json.loads(text)
    except ValueError:
        return ordinary, None, False
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if not isinstance(kind, str):
        return ordinary, None, False
    target = _target(resource)
    if target is not None:
        method: Literal["POST", "PUT"] = "PUT"
        id_, body = target[1], resource
    else:  # a POST: the entry's id is assigned ahead, the body's dropped (``new_resource``)
        method, id_ = "POST", new_id()
        body = {k: v for k, v in resource.items() if k != "id"}
    if _refused(kind, method, id_, body):
        return ordinary, target, False
    if not _settled(body):
        return ordinary, target, True
    early = None
    if rows and splits(registry, kind):
        early = early_rows(kind, id_, with_meta(kind, id_, 1, STAND_IN, body), registry)
    return Prepared(number, text, kind, id_, method, True, early), target, False


def prepare(numbered: Numbered, registry: SearchRegistry, *, rows: bool) -> list[Prepared]:
    """Every line prepared (with ``early_rows`` when ``rows``). All lines are ordinary when
    a target repeats, or when a line that may load is not ready: its transaction would see
    the batch's other lines unwritten (a conditional reference is resolved before any
    write), as the ordinary path has it."""
    prepared, targets, unsettled = [], [], False
    for number, text in numbered:
        line, target, pending = _line(number, text, registry, rows)
        prepared.append(line)
        unsettled |= pending
        if target is not None:
            targets.append(target)
    if unsettled or any(count > 1 for count in Counter(targets).values()):
        return [replace(line, ready=False, rows=None) for line in prepared]
    return prepared


def _die_with(parent: int) -> None:
    """End this worker when the loading process ends, killed included: a worker left over
    would hold the loader's standard output open (and its memory) for good."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # Linux: the kernel sends it
    except (OSError, AttributeError):
        threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent ended before the signal was asked for
        os._exit(1)


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def _start_worker(registry: SearchRegistry, parent: int) -> None:
    _die_with(parent)
    _worker_registry.append(registry)
    # What the worker inherits lives as long as it does: out of the collector's sight, a
    # collection walks only the objects of the lines (half the CPU of validation otherwise).
    gc.freeze()


def prepare_in_worker(numbered: Numbered) -> list[Prepared]:
    """``prepare`` with the registry the worker was started with (``worker_pool``)."""
    return prepare(numbered, _worker_registry[-1], rows=True)


def worker_pool(workers: int, registry: SearchRegistry) -> ProcessPoolExecutor:
    """``workers`` processes forked from this one (its keys, settings and ``registry``)."""
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(registry, os.getpid()),
    )
