"""Small rules shared by the commands: merging updates, defaults, names and sizes."""

from __future__ import annotations

import copy
import re
from typing import Any

from engine_api.core.errors import BadRequest, NotFound

_NAME = re.compile(r"^[\w.\-]+$")


def deep_defaults(doc: dict, defaults: dict) -> dict:
    """Fill what ``doc`` leaves unset from ``defaults``, recursing into structs."""
    for key, value in defaults.items():
        if key not in doc or doc[key] is None:
            doc[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(doc[key], dict):
            deep_defaults(doc[key], value)
    return doc


def merge(current: dict, changes: dict, readonly: frozenset[str] = frozenset()) -> dict:
    """``current`` updated by ``changes``: structs merge, lists and scalars replace; server members stay."""
    out = copy.deepcopy(current)
    for key, value in changes.items():
        if key in readonly or key == "id":
            continue
        if isinstance(value, dict) and isinstance(out.get(key), dict) and "id" not in value and "name" not in value:
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out



def owner(parent: dict | None, what: str) -> dict:
    """The entity a sub-collection belongs to (the API's tree always gives one to a sub-collection's command)."""
    if parent is None:
        raise NotFound(f"{what} exist only under the entity they belong to")
    return parent


def require_name(doc: dict, what: str, pattern: re.Pattern[str] | None = _NAME) -> str:
    name = doc.get("name")
    if not name:
        raise BadRequest(f"{what}.name is required", "Incomplete parameters")
    if len(name) > 255:
        raise BadRequest(f"{what}.name is longer than 255 characters")
    if pattern is not None and not pattern.fullmatch(name):
        raise BadRequest(f"{what}.name '{name}' may contain only letters, digits, '_', '-' and '.'")
    return name


def positive(value: Any, field: str, allow_zero: bool = False) -> int:
    if value is None:
        raise BadRequest(f"{field} is required", "Incomplete parameters")
    if value < 0 or (value == 0 and not allow_zero):
        raise BadRequest(f"{field} must be greater than {'or equal to ' if allow_zero else ''}0, got {value}")
    return value

