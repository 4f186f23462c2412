"""Profile validation on write: ``off``, ``warn`` or ``enforce`` per resource type.

In ``enforce`` a create, update or patch of that type is refused (422) when the resource breaks
its base definition's rules (invariants, required bindings, reference targets) or a profile it
claims in ``meta.profile``; ``warn`` logs the same problems and stores the resource; ``off`` (the
default for other types) leaves only the model's structural check. Profiles not claimed are not
applied, so a plain base-conformant resource is accepted whatever the mode.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from profiles_ig.validation import is_error, validate_resource
from resources import error_codes
from resources.errors import Unprocessable

Mode = Literal["off", "warn", "enforce"]
MODES: tuple[Mode, ...] = ("off", "warn", "enforce")
DEFAULT_MODES: Mapping[str, Mode] = {
    "NutritionIntake": "enforce",
    "AllergyIntolerance": "enforce",
    "Condition": "enforce",
}
"""The types whose records feed the allergen and interaction checks: validated by default."""

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WritePolicy:
    """The mode of each resource type (absent: ``off``)."""

    modes: Mapping[str, Mode] = field(default_factory=lambda: dict(DEFAULT_MODES))

    def mode(self, resource_type: str) -> Mode:
        """The mode for ``resource_type``."""
        return self.modes.get(resource_type, "off")

    def check(self, resource_type: str, resource: dict[str, Any]) -> None:
        """Refuse (``enforce``) or log (``warn``) a resource with validation errors."""
        mode = self.mode(resource_type)
        if mode == "off":
            return
        issues = validate_resource(resource, structural=False)  # the model ran already
        errors = [issue for issue in issues if is_error(issue)]
        if not errors:
            return
        if mode == "warn":
            _log.warning("%s stored with %d validation error(s)", resource_type, len(errors))
            return
        raise Unprocessable(
            f"{resource_type} does not conform to its definition or claimed profiles: "
            f"{len(errors)} error(s)",
            error_codes.PROFILE_VALIDATION_FAILED,
            issues=errors,
        )


_current = WritePolicy()


def configure(modes: Mapping[str, Mode]) -> None:
    """Set the process's policy (the server does it once at start, from its settings)."""
    global _current  # one policy per process, like the settings it comes from
    _current = WritePolicy(dict(modes))


def current_policy() -> WritePolicy:
    """The process's policy."""
    return _current
