"""Query parameters of the API: booleans the oVirt way, integers, and the ``follow`` tree."""

from __future__ import annotations

from engine_api.core.errors import BadRequest

MAX_INT = 2**31 - 1
MAX_FOLLOW_DEPTH = 6  # members in one followed path (disk_attachments.disk.storage_domains is 3)
MAX_FOLLOW_PATHS = 32  # followed paths in one request
# Every boolean query parameter of the API; one present with another value is refused wherever it appears,
# so that a typo never reads as the default (``DELETE ?detach_only=maybe`` must not delete).
BOOLEANS = frozenset({
    "activate", "all_content", "async", "case_sensitive", "clone", "clone_permissions", "collapse_snapshots",
    "deploy_hosted_engine", "destroy", "detach_only", "discard_snapshots", "filter", "force", "format",
    "next_run", "reboot", "seal", "undeploy_hosted_engine", "wait",
})
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


def check_flags(params: dict[str, str]) -> None:
    """Refuse any boolean parameter that is neither true nor false, before anything reads it."""
    for name in BOOLEANS.intersection(params):
        flag(params, name)


def integer(params: dict[str, str], name: str, minimum: int | None = None) -> int | None:
    if name not in params or params[name] == "":
        return None
    text = params[name].strip()
    try:
        if not text.lstrip("+-").isascii() or not text.lstrip("+-").isdigit() or len(text) > 20:
            raise ValueError
        value = int(text)
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
    paths = [p for p in (value or "").split(",") if p.strip()]
    if len(paths) > MAX_FOLLOW_PATHS:
        raise BadRequest(f"parameter 'follow' names {len(paths)} paths, more than {MAX_FOLLOW_PATHS}",
                         "Invalid value")
    for path in paths:
        parts = [p for p in path.strip().split(".") if p]
        if len(parts) > MAX_FOLLOW_DEPTH:
            raise BadRequest(f"parameter 'follow': a path of {len(parts)} members is deeper than "
                             f"{MAX_FOLLOW_DEPTH}", "Invalid value")
        node = tree
        for part in parts:
            node = node.setdefault(part, {})
    return tree
