"""Query parameters of the API: booleans the oVirt way, integers, and the ``follow`` tree."""

from __future__ import annotations

from engine_api.commands.errors import BadRequest

MAX_INT = 2**31 - 1
_TRUE = {"", "t", "true", "y", "yes", "1"}
_FALSE = {"f", "false", "n", "no", "0"}


def flag(params: dict[str, str], name: str, default: bool = False) -> bool:
    """A boolean parameter; a bare ``?name`` means true."""
    if name not in params:
        return default
    value = params[name].strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise BadRequest(f"parameter '{name}' must be true or false, got '{params[name]}'", "Invalid value")


def integer(params: dict[str, str], name: str, minimum: int | None = None) -> int | None:
    if name not in params or params[name] == "":
        return None
    try:
        value = int(params[name])
    except ValueError:
        raise BadRequest(f"parameter '{name}' must be an integer, got '{params[name]}'", "Invalid value") from None
    if abs(value) > MAX_INT:
        raise BadRequest(f"parameter '{name}' is out of range (at most {MAX_INT})", "Invalid value")
    if minimum is not None and value < minimum:
        raise BadRequest(f"parameter '{name}' must be at least {minimum}", "Invalid value")
    return value


def follow_tree(value: str | None) -> dict[str, dict]:
    """``disk_attachments.disk,nics`` -> ``{"disk_attachments": {"disk": {}}, "nics": {}}``."""
    tree: dict[str, dict] = {}
    for path in (value or "").split(","):
        node = tree
        for part in filter(None, path.strip().split(".")):
            node = node.setdefault(part, {})
    return tree
