"""VDSM-style hooks: executable scripts in ``<hooks dir>/<hook point>/``, run in name order.

Each script gets the domain XML in the file named by ``_hook_domxml`` and may rewrite it; the VM's custom
properties and ``vmId`` are in its environment. Exit codes: 0 ok; 1 failed, later scripts still run;
2 failed, the chain stops; above 2 a warning. A ``before_*`` point fails its operation on any error.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


class HookError(RuntimeError):
    pass


@dataclass
class HookResult:
    data: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def scripts(hooks_dir: Path, point: str) -> list[Path]:
    folder = hooks_dir / point
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and os.access(p, os.X_OK))


def installed(hooks_dir: Path) -> list[dict]:
    """Every installed script with its sha256 and MD5 (oVirt's hook checksum), as capabilities report them."""
    found = []
    if hooks_dir.is_dir():
        for point in sorted(p.name for p in hooks_dir.iterdir() if p.is_dir()):
            for script in scripts(hooks_dir, point):
                content = script.read_bytes()
                found.append({"event": point, "name": script.name, "sha256": hashlib.sha256(content).hexdigest(),
                              "md5": hashlib.md5(content).hexdigest()})
    return found


def run(hooks_dir: Path, point: str, data: str, vm_id: str, env: dict[str, str] | None = None,
        timeout: float = 60.0) -> HookResult:
    chain = scripts(hooks_dir, point)
    result = HookResult(data)
    if not chain:
        return result
    with tempfile.NamedTemporaryFile("w+", suffix=".xml", delete=False) as f:
        f.write(data)
        path = f.name
    try:
        base = dict(os.environ, **(env or {}), vmId=vm_id, _hook_domxml=path)
        for script in chain:
            try:
                proc = subprocess.run([str(script)], env=base, capture_output=True, text=True, timeout=timeout)
                rc, err = proc.returncode, proc.stderr.strip()
            except subprocess.TimeoutExpired:
                rc, err = 2, f"timed out after {timeout:.0f} s"
            except OSError as e:
                rc, err = 2, str(e)
            if rc in (1, 2):
                result.errors.append(f"{point}/{script.name}: rc={rc} {err}".strip())
                if rc == 2:
                    break
            elif rc > 2:
                result.warnings.append(f"{point}/{script.name}: rc={rc} {err}".strip())
        result.data = Path(path).read_text()
    finally:
        os.unlink(path)
    if result.errors and point.startswith("before_"):
        raise HookError(result.errors[-1])
    return result
