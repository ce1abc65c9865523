"""What the quality gates share: the collection's own files, copied where ansible-test wants them, and the
virtualenv's tools run with an environment that sees this checkout's collection and nothing else."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# The collection as Galaxy ships it; the rest of the repository (the engine, its tests) is not part of it.
COLLECTION_ITEMS = ("galaxy.yml", "README.md", "LICENSE", "meta", "plugins", "roles", "playbooks", "schemas",
                    "tests/sanity", "tests/config.yml")
GET_PIP = Path(__file__).with_name("get_pip_offline.py")


def tool_env(home: Path, **extra: str) -> dict[str, str]:
    """The virtualenv first on PATH, Ansible's home in ``home`` (so nothing installed under ~/.ansible shadows the
    checkout), the checkout's collection, no colours."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "ANSIBLE_HOME": str(home),
           "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collection"), "NO_COLOR": "1", "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_FORCE_COLOR": "0", "PY_COLORS": "0", **extra}
    for key in ("VDC_URL", "VDC_USERNAME", "VDC_PASSWORD", "VDC_TOKEN"):
        env.pop(key, None)
    return env


def run(args: list[str | Path], cwd: Path, env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def copy_collection(base: Path) -> Path:
    """``base/ansible_collections/vdc/infra`` holding the collection's files only (ansible-test's layout)."""
    tree = base / "ansible_collections" / "vdc" / "infra"
    tree.mkdir(parents=True)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
    for item in COLLECTION_ITEMS:
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, tree / item, ignore=skip)
        elif src.is_file():
            (tree / item).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, tree / item)
    return tree


def provide_pip_bootstrap() -> None:
    """Put :data:`GET_PIP` where ansible-test looks for its cached pip bootstrap script, unless one is there."""
    from ansible_test._internal.python_requirements import get_venv_packages

    class Python:  # all get_venv_packages reads
        version = f"{sys.version_info.major}.{sys.version_info.minor}"

    version = get_venv_packages(Python())["pip"]
    cache = Path.home() / ".ansible" / "test" / "cache" / f"get_pip_{version.replace('.', '_')}.py"
    if cache.exists():
        return
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(GET_PIP.read_text())
    os.replace(partial, cache)  # atomic: another worker may be doing the same
