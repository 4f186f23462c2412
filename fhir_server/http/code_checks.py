"""Terminology checks of a resource being written, configured once per process.

``check`` raises ``Unprocessable`` (422) naming the code when a finding is configured to
reject, and returns the findings configured to warn, which the write answer carries.
"""

from __future__ import annotations

import threading
from typing import Any

from fhir_server.settings import Settings
from resources import error_codes
from resources.errors import Issue, Unprocessable
from terminology.icd10cm import Mode, check_icd10cm_codes, code_system
from terminology.ucum import is_valid

_modes: dict[str, Mode] = {"invalid": "reject", "non_leaf": "warn"}


def configure(settings: Settings) -> None:
    """Take the ICD-10-CM modes from the settings (the app does this when it is built)."""
    _modes["invalid"] = settings.icd10cm_invalid
    _modes["non_leaf"] = settings.icd10cm_non_leaf
    # ICD-10-CM (about 1 s) and the UCUM parser (about 2 s) load in the background, so the
    # first Condition write and the first quantity search in UCUM do not wait for them
    if (settings.icd10cm_invalid, settings.icd10cm_non_leaf) != ("off", "off"):
        threading.Thread(target=code_system, name="icd10cm-load", daemon=True).start()
    threading.Thread(target=is_valid, args=("g",), name="ucum-load", daemon=True).start()


def check(resource_type: str, resource: dict[str, Any]) -> list[Issue]:
    """The warnings about the resource's codes; ``Unprocessable`` when one is rejected."""
    found = check_icd10cm_codes(resource_type, resource, _modes["invalid"], _modes["non_leaf"])
    if found.errors:
        first, *rest = found.errors
        raise Unprocessable(
            first.diagnostics,
            first.nv_code or error_codes.ICD10CM_INVALID_CODE,
            first.expression,
            issues=[*rest, *found.warnings],
        )
    return found.warnings


def warning_header(warnings: list[Issue]) -> dict[str, str]:
    """An RFC 9111 ``Warning`` header (code 299) with the warnings, ASCII only."""
    if not warnings:
        return {}
    texts = [w.diagnostics.encode("ascii", "replace").decode().replace('"', "'") for w in warnings]
    return {"Warning": ", ".join(f'299 nutrivision "{text}"' for text in texts)}
