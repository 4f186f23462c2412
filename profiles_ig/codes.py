"""Is this code in that value set: the one question validation asks of terminology.

``CodeChecker`` is the port a terminology service implements; ``LocalCodes`` answers from the
value sets the definitions enumerate (the base's required bindings and ours) and, for value sets
of ours that include whole external code systems (ICD-10-CM), checks the system only.
"""

from __future__ import annotations

from typing import Protocol

from profiles_ig.definitions import Definitions


class CodeChecker(Protocol):
    """Membership of a code in a value set."""

    def contains(self, value_set: str, system: str | None, code: str) -> bool | None:
        """True or False when known; None when this checker cannot tell (unknown value set,
        a code system it does not hold). ``system`` None: a bare ``code`` element."""


class LocalCodes:
    """``CodeChecker`` over the enumerated value sets of ``definitions``."""

    def __init__(self, definitions: Definitions) -> None:
        self._value_sets = definitions.value_sets
        self._whole_systems: dict[str, frozenset[str]] = {
            vs["url"]: frozenset(i["system"] for i in vs.get("compose", {}).get("include", []))
            for vs in definitions.guide_of_type("ValueSet")
            if vs["url"] not in definitions.value_sets
        }
        self._codes_only = {
            url: frozenset(code for _system, code in codes)
            for url, codes in definitions.value_sets.items()
        }

    def contains(self, value_set: str, system: str | None, code: str) -> bool | None:
        """See ``CodeChecker.contains``."""
        url = value_set.split("|")[0]
        if url in self._value_sets:
            if system is None:
                return code in self._codes_only[url]
            return (system, code) in self._value_sets[url]
        systems = self._whole_systems.get(url)
        if systems is not None and system is not None and system not in systems:
            return False
        return None
