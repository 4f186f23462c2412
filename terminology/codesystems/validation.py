"""Is a code valid in a code system or a value set? The verdict of ``$validate-code``.

https://hl7.org/fhir/R4/codesystem-operation-validate-code.html and
https://hl7.org/fhir/R4/valueset-operation-validate-code.html: ``result``, a ``message`` when
the code is not valid (or valid with a caveat: inactive), and the recommended ``display``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from terminology.codesystems.concepts import CodeSystemIndex, Concept
from terminology.codesystems.valuesets import Member


@dataclass(frozen=True)
class Verdict:
    """The answer for one coding."""

    result: bool
    message: str | None = None
    display: str | None = None


def _displays(concept: Concept) -> list[str]:
    names = [concept.display] if concept.display else []
    names.extend(str(d.get("value")) for d in concept.designations if d.get("value"))
    return names


def check_display(
    given: str | None, names: list[str], code: str, case_sensitive: bool
) -> str | None:
    """Why ``given`` is not a display of the code, or None when it is one (or none is given)."""
    if not given or not names:
        return None
    fold = (lambda s: s) if case_sensitive else str.lower
    if any(fold(given) == fold(name) for name in names):
        return None
    return f"The display '{given}' is not a display of code '{code}': it should be '{names[0]}'"


def in_code_system(
    index: CodeSystemIndex, code: str, display: str | None = None, abstract: bool = False
) -> Verdict:
    """Validate ``code`` (and ``display``) against the code system ``index``."""
    concept = index.get(code)
    if concept is None:
        if index.complete:
            return Verdict(False, f"Unknown code '{code}' in the code system {index.url}")
        return Verdict(
            False,
            f"Code '{code}' is not in the {index.content} of {index.url} this server holds",
        )
    name = concept.display or concept.code
    if concept.abstract and not abstract:
        return Verdict(False, f"Code '{code}' in {index.url} is abstract (a grouper)", name)
    wrong = check_display(display, _displays(concept), code, index.case_sensitive)
    if wrong:
        return Verdict(False, wrong, name)
    if concept.inactive:
        return Verdict(True, f"Code '{code}' in {index.url} is inactive", name)
    return Verdict(True, None, name)


def in_value_set(
    members: Iterable[Member],
    url: str,
    code: str,
    system: str | None,
    display: str | None = None,
    abstract: bool = False,
    index: CodeSystemIndex | None = None,
) -> Verdict:
    """Validate a coding against a value set's expansion (``system`` None: any system)."""
    found = [m for m in members if m.code == code and (system is None or m.system == system)]
    where = f"{system}#{code}" if system else f"'{code}'"
    if not found:
        return Verdict(False, f"The code {where} is not in the value set {url}")
    member = found[0]
    if member.abstract and not abstract:
        return Verdict(False, f"The code {where} is abstract (a grouper)", member.display)
    concept = index.get(code) if index is not None else None
    names = _displays(concept) if concept is not None else []
    if member.display and member.display not in names:
        names.insert(0, member.display)
    case_sensitive = index.case_sensitive if index is not None else True
    wrong = check_display(display, names, code, case_sensitive)
    if wrong:
        return Verdict(False, wrong, member.display)
    if member.inactive:
        return Verdict(True, f"The code {where} is inactive", member.display)
    return Verdict(True, None, member.display)
