"""``hooking``: what a hook script imports to read and rewrite what the vdc agent hands it (vdsm's API).

The agent puts this folder on every hook's ``PYTHONPATH``. The data file is named by ``_hook_domxml`` (the
domain XML, or a device's) or ``_hook_json`` (capabilities and statistics); a script's edits are what the
next script, and then the agent, read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any
from xml.dom import minidom

__all__ = ["read_domxml", "write_domxml", "read_json", "write_json", "log", "exit_hook", "tobool", "execCmd",
           "load_vm_launch_flags_from_file", "dump_vm_launch_flags_to_file"]


def tobool(s: Any) -> bool:
    """vdsm's conv.tobool: True, 'true' (any case) or a non-zero integer; anything else is False."""
    try:
        if s is None:
            return False
        if isinstance(s, bool):
            return s
        if str(s).lower() == "true":
            return True
        return bool(int(s))
    except (TypeError, ValueError):
        return False


def read_domxml() -> minidom.Document:
    with open(os.environ["_hook_domxml"], "rb") as f:
        return minidom.parseString(f.read().decode("utf-8"))


def write_domxml(domxml: minidom.Document) -> None:
    with open(os.environ["_hook_domxml"], "wb") as f:
        f.write(domxml.toxml(encoding="utf-8"))


def read_json() -> Any:
    with open(os.environ["_hook_json"], encoding="utf-8") as f:
        return json.load(f)


def write_json(data: Any) -> None:
    with open(os.environ["_hook_json"], "w", encoding="utf-8") as f:
        json.dump(data, f)


def log(message: str) -> None:
    """To stderr, which the agent reports with the script's exit code."""
    sys.stderr.write(f"{message}\n")


def exit_hook(message: str, return_code: int = 2) -> None:
    """Write ``message`` to stderr and end the script: 2 stops the chain (and fails a ``before_*`` point)."""
    sys.stderr.write(f"{message}\n")
    sys.exit(return_code)


def execCmd(command: list[str], sudo: bool = False, cwd: str | None = None, data: bytes | str | None = None,
            raw: bool = False, env: dict | None = None, **_ignored: Any) -> tuple[int, Any, Any]:  # noqa: N802
    """Run ``command``; returns (exit code, stdout, stderr), each output a list of lines unless ``raw``."""
    argv = (["sudo", "-n", "--"] if sudo and os.geteuid() != 0 else []) + [str(c) for c in command]
    if isinstance(data, str):
        data = data.encode()
    proc = subprocess.run(argv, input=data, capture_output=True, cwd=cwd, env=env)
    if raw:
        return proc.returncode, proc.stdout, proc.stderr
    return (proc.returncode, proc.stdout.decode(errors="replace").splitlines(),
            proc.stderr.decode(errors="replace").splitlines())


def _flags_file(vm_id: str) -> str:
    return os.path.join(os.environ.get("VDC_HOOK_RUN_DIR", "/run/vdc-agent"), vm_id, "launchflags")


def load_vm_launch_flags_from_file(vm_id: str) -> int:
    """The libvirt ``virDomainCreateFlags`` the agent will start the VM with (before_vm_start)."""
    try:
        with open(_flags_file(vm_id)) as f:
            return int(f.read().strip() or 0)
    except (OSError, ValueError):
        return 0


def dump_vm_launch_flags_to_file(vm_id: str, flags: int) -> None:
    path = _flags_file(vm_id)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(str(int(flags)))
