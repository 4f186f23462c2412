"""Find the operation a request names, at the level it was invoked at."""

from __future__ import annotations

from types import ModuleType
from typing import Literal

from operations import REGISTRY
from resources import error_codes
from resources.errors import Invalid, NotFound

Level = Literal["system", "type", "instance"]


def _applies(module: ModuleType, level: Level, resource_type: str | None) -> bool:
    definition = module.DEFINITION
    if not definition.get(level, False):
        return False
    if level == "system":
        return True
    types = definition.get("resource", [])
    return "Resource" in types or resource_type in types


def find_operation(code: str, level: Level, resource_type: str | None) -> ModuleType:
    """The module for ``$code`` at ``level`` on ``resource_type``: ``NotFound`` when no
    operation has that code, ``Invalid`` when it exists but not at this level or type."""
    named = [module for module in REGISTRY if module.DEFINITION["code"] == code]
    if not named:
        raise NotFound(f"Unknown operation ${code}", error_codes.UNKNOWN_OPERATION)
    for module in named:
        if _applies(module, level, resource_type):
            return module
    where = f"{level} level" + (f" on {resource_type}" if resource_type else "")
    raise Invalid(f"${code} cannot be invoked at {where}", error_codes.OPERATION_LEVEL)
