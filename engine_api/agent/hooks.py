"""VDSM-style hooks: executable scripts in ``<hooks dir>/<hook point>/``, run in name order at points of a VM's
and of the agent's life, with vdsm's semantics.

- A script is a regular file with the executable bit; anything else in the folder is ignored. Scripts run one
  after another, sorted by name.
- Every script of a chain shares one data file: ``_hook_domxml`` (the domain XML) or, at the JSON points
  (capabilities and statistics), ``_hook_json``; a script sees its predecessors' edits and the agent reads
  the file back after the chain. At ``before_vm_destroy`` the file is empty.
- The environment is the agent's, plus ``vmId``, each VM custom property as its own variable (one whose name
  or value cannot be passed is skipped), the call's parameters, and ``PYTHONPATH`` leading to ``hooking``.
- Exit codes: 0 ok; 1 failed, later scripts still run; 2 failed, the chain stops; above 2 a warning, the
  chain goes on. At a point that fails its operation (most ``before_*`` points) any failure (1 or 2) fails
  it, with the last failed script's stderr; elsewhere failures are only reported.
- Beyond vdsm: each script has a timeout (its whole process group is killed, and it counts as exit code 2),
  and every failure or warning is kept in a journal the engine reads with the agent's statistics and
  records as an audit event (script, exit code, stderr).
- A script whose first line names a Python interpreter (``#!/usr/bin/python``, ``#!/usr/bin/env python2``)
  runs under the agent's own Python 3, so vdsm's hooks run unchanged on a host without that interpreter.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from engine_api.protocol.hooks import DOMXML, EMPTY, JSON, POINTS

HOOKING_PATH = Path(__file__).parent / "hookpath"  # holds hooking.py, importable by every hook
DEFAULT_TIMEOUT = 60.0

# vdsm's points this agent never crosses: it hot-plugs no device, sets up no network and prepares disks itself
NOT_CROSSED = ("before/after_device_create", "before/after_nic_hotplug", "before/after_disk_hotplug",
               "before/after_update_device", "before/after_network_setup", "after_disk_prepare",
               "before/after_set_num_of_cpus", "before/after_memory_hotplug", "after_hostdev_list_by_caps")

_PYTHON = re.compile(rb"^#!\s*(?:/usr/bin/env\s+(?:-S\s+)?)?(?:\S*/)?python[0-9.]*(?:\s|$)")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class HookError(RuntimeError):
    """A chain failed at a point that fails its operation."""

    def __init__(self, failure: HookFailure):
        super().__init__(failure.message())
        self.failure = failure


@dataclass
class HookFailure:
    point: str
    script: str
    rc: int  # the script's exit code; -signal when killed (a timeout is -9)
    stderr: str
    vm_id: str = ""
    timed_out: float = 0.0  # the timeout it was killed at
    warning: bool = False  # exit code above 2: reported, not a failure
    seq: int = 0
    time: float = field(default_factory=time.time)

    def message(self) -> str:
        what = (f"timed out after {self.timed_out:g} s; its process group was killed" if self.timed_out
                else f"exit code {self.rc}" + (f": {self.stderr}" if self.stderr else ""))
        return f"{self.point} hook {self.script} failed ({what})"


class Journal:
    """The last failures and warnings of every chain, numbered; the engine asks for those after the last it saw.
    ``boot`` changes when the agent restarts, so the engine knows the numbering started again."""

    def __init__(self, size: int = 200):
        self.boot = uuid.uuid4().hex
        self.items: deque[HookFailure] = deque(maxlen=size)
        self.seq = 0
        self.lock = threading.Lock()

    def add(self, failure: HookFailure) -> None:
        with self.lock:
            self.seq += 1
            failure.seq = self.seq
            self.items.append(failure)

    def report(self) -> dict:
        with self.lock:
            return {"boot": self.boot, "last": self.seq, "failures": [asdict(f) for f in self.items]}


def is_script(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def scripts(hooks_dir: Path, point: str) -> list[Path]:
    folder = hooks_dir / point
    try:
        return sorted(p for p in folder.iterdir() if is_script(p))
    except OSError:  # no such point on this host
        return []


def installed(hooks_dir: Path) -> list[dict]:
    """Every installed script with its sha256 and MD5 (oVirt's hook checksum), as capabilities report them."""
    found = []
    if hooks_dir.is_dir():
        for point in sorted(p.name for p in hooks_dir.iterdir() if p.is_dir()):
            for script in scripts(hooks_dir, point):
                content = script.read_bytes()
                found.append({"event": point, "name": script.name, "sha256": hashlib.sha256(content).hexdigest(),
                              "md5": hashlib.md5(content, usedforsecurity=False).hexdigest()})
    return found


def command_of(script: Path) -> list[str]:
    """How to run a script: itself, or the agent's Python for a script whose first line names a Python."""
    try:
        with script.open("rb") as f:
            first = f.readline(256)
    except OSError:
        first = b""
    if _PYTHON.match(first):
        return [sys.executable, str(script)]
    return [str(script)]


def hook_env(vm_id: str, custom: dict[str, Any] | None, params: dict[str, Any] | None) -> dict[str, str]:
    env = dict(os.environ)
    for source in (params or {}, custom or {}):
        for name, value in source.items():
            text = str(value)
            if not _ENV_NAME.match(str(name)) or "\0" in text:
                continue  # vdsm skips what cannot be passed
            try:
                text.encode()
            except UnicodeEncodeError:
                continue
            env[str(name)] = text
    env["vmId"] = vm_id
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HOOKING_PATH), env.get("PYTHONPATH", "")) if p)
    return env


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_script(script: Path, env: dict[str, str], timeout: float) -> tuple[int, str, bool]:
    """Run one script in a process group of its own; returns (exit code, stderr, timed out). stdout is
    discarded, as vdsm does."""
    try:
        proc = subprocess.Popen(command_of(script), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True, cwd=str(script.parent))
    except OSError as e:
        return 2, f"cannot run it: {e.strerror or e}", False
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        try:
            proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # a descendant left the group and holds stderr: stop reading
            proc.kill()
        proc.wait()
        return -signal.SIGKILL, "", True
    return proc.returncode, err.decode(errors="replace").strip()[-4000:], False


class HookRunner:
    """Runs the chains of one host's hooks directory, and keeps their failures in its journal."""

    def __init__(self, hooks_dir: Path, run_dir: Path, timeout: float = DEFAULT_TIMEOUT):
        self.hooks_dir = Path(hooks_dir)
        self.run_dir = Path(run_dir)  # <vmId>/launchflags, read and written by hooking's launch-flag helpers
        self.timeout = timeout
        self.journal = Journal()
        self.load_settings()

    def has(self, point: str) -> bool:
        return bool(scripts(self.hooks_dir, point))

    def run(self, point: str, data: Any = None, vm_id: str = "", custom: dict | None = None,
            params: dict | None = None) -> Any:
        """Run ``point``'s chain over ``data`` (domain XML text, or a JSON-able value); returns the data as the
        chain left it. Raises :class:`HookError` when the point fails its operation and a script failed."""
        kind, raises = POINTS[point]
        chain = scripts(self.hooks_dir, point)
        if not chain:
            return data
        suffix = ".json" if kind == JSON else ".xml"
        fd, path = tempfile.mkstemp(prefix=f"{point}-", suffix=suffix)
        try:
            with os.fdopen(fd, "w") as f:
                if kind == JSON:
                    json.dump(data, f)
                elif kind == DOMXML:
                    f.write(data or "")
            env = hook_env(vm_id, custom, params)
            env["_hook_json" if kind == JSON else "_hook_domxml"] = path
            env["VDC_HOOK_RUN_DIR"] = str(self.run_dir)
            errors: list[HookFailure] = []
            for script in chain:
                rc, err, timed_out = run_script(script, env, self.timeout)
                if rc == 0:
                    continue
                failure = HookFailure(point, script.name, rc, err, vm_id, self.timeout if timed_out else 0.0,
                                      warning=rc > 2)
                self.journal.add(failure)
                if rc > 2:
                    continue
                errors.append(failure)
                if rc == 2 or timed_out:
                    break
            if errors and raises:
                raise HookError(errors[-1])
            return self._read_back(kind, path, data)
        finally:
            os.unlink(path)

    @staticmethod
    def _read_back(kind: str, path: str, data: Any) -> Any:
        raw = Path(path).read_bytes()
        if kind == JSON:
            try:
                return json.loads(raw or b"null")
            except ValueError:
                return data  # a chain that broke the JSON changes nothing
        if kind == EMPTY:
            return data
        try:  # a hook may write an XML declaration (minidom does); libvirt gets the document without it
            return etree.tostring(etree.fromstring(raw), encoding="unicode")
        except etree.XMLSyntaxError:
            raise HookError(HookFailure("chain", "(all)", 2, "the hooks left a domain XML that does not parse"))\
                from None

    def run_soft(self, point: str, data: Any = None, vm_id: str = "", custom: dict | None = None,
                 params: dict | None = None) -> Any:
        """As :meth:`run`, for a point whose failure must not stop what the agent is doing."""
        try:
            return self.run(point, data, vm_id, custom, params)
        except HookError:
            return data

    # ------------------------------------------------------------ launch flags

    def launch_flags_file(self, vm_id: str) -> Path:
        return self.run_dir / vm_id / "launchflags"

    def set_launch_flags(self, vm_id: str, flags: int) -> None:
        path = self.launch_flags_file(vm_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(flags))

    def take_launch_flags(self, vm_id: str, default: int = 0) -> int:
        path = self.launch_flags_file(vm_id)
        try:
            return int(path.read_text().strip() or default)
        except (OSError, ValueError):
            return default
        finally:
            path.unlink(missing_ok=True)

    # ------------------------------------------------------------ settings

    @property
    def settings_file(self) -> Path:
        return self.hooks_dir.parent / "hook-settings.json"

    def load_settings(self) -> None:
        """The timeout the engine set last (kept across agent restarts), over the command line's."""
        try:
            self.timeout = float(json.loads(self.settings_file.read_text())["timeout"])
        except (OSError, ValueError, KeyError, TypeError):
            pass

    def set_timeout(self, timeout: float) -> None:
        if not 0 < timeout <= 3600:
            raise ValueError(f"a hook timeout must be within (0, 3600] seconds, got {timeout}")
        self.timeout = timeout
        self.settings_file.parent.mkdir(parents=True, exist_ok=True)
        self.settings_file.write_text(json.dumps({"timeout": timeout}))
