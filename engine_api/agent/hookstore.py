"""The hook scripts the engine manages on this host: installed, replaced and removed by one idempotent sync.

The engine sends every script the host should have (point, name, content, sha256) and the hook settings.
The agent writes what differs (atomically, mode 0755), removes the scripts it installed for the engine that
are no longer wanted, and never touches a script someone put there by hand. What it installed is listed in
``<state dir>/hooks-managed.json``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
from pathlib import Path

from engine_api.agent import hooks
from engine_api.protocol.client import AgentError
from engine_api.protocol.hooks import MAX_SCRIPT, NAME


def _managed_file(hooks_dir: Path) -> Path:
    return hooks_dir.parent / "hooks-managed.json"


def managed(hooks_dir: Path) -> set[tuple[str, str]]:
    try:
        return {(p, n) for p, n in json.loads(_managed_file(hooks_dir).read_text())}
    except (OSError, ValueError, TypeError):
        return set()


def _write_managed(hooks_dir: Path, entries: set[tuple[str, str]]) -> None:
    path = _managed_file(hooks_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(sorted(entries)))
    os.replace(tmp, path)


def check(point: str, name: str) -> None:
    if point not in hooks.POINTS:
        raise AgentError(f"unknown hook point '{point[:64]}'", 400)
    if not NAME.match(name):
        raise AgentError(f"bad hook script name '{name[:64]}': letters, digits, '_', '.', '+' and '-' only", 400)


def _install(hooks_dir: Path, point: str, name: str, content: bytes) -> bool:
    """Write the script unless it is there already with this content and executable; True when written."""
    path = hooks_dir / point / name
    if hooks.is_script(path) and not path.is_symlink() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    os.chmod(tmp, 0o755)
    os.replace(tmp, path)
    return True


def sync(runner: hooks.HookRunner, wanted: list[dict], settings: dict | None = None) -> dict:
    """Make the managed scripts exactly ``wanted``; returns what changed and what the host has now."""
    hooks_dir = runner.hooks_dir
    scripts: dict[tuple[str, str], bytes] = {}
    for item in wanted:
        point, name = str(item["event"]), str(item["name"])
        check(point, name)
        content = base64.b64decode(item["content_b64"], validate=True)
        if len(content) > MAX_SCRIPT:
            raise AgentError(f"hook {name} is larger than {MAX_SCRIPT} bytes", 400)
        if item.get("sha256") and hashlib.sha256(content).hexdigest() != item["sha256"]:
            raise AgentError(f"hook {name}: the content does not match its sha256", 400)
        scripts[(point, name)] = content
    written, removed = [], []
    for (point, name), content in sorted(scripts.items()):
        if _install(hooks_dir, point, name, content):
            written.append(f"{point}/{name}")
    before = managed(hooks_dir)
    for point, name in sorted(before - set(scripts)):
        path = hooks_dir / point / name
        if path.exists() or path.is_symlink():
            path.unlink()
            removed.append(f"{point}/{name}")
    _write_managed(hooks_dir, set(scripts))
    if settings and settings.get("timeout"):
        runner.set_timeout(float(settings["timeout"]))
    return {"written": written, "removed": removed, "hooks": hooks.installed(hooks_dir),
            "timeout": runner.timeout}
