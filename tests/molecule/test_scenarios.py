"""Every molecule scenario (``molecule/<role>``) as a test: ``molecule test -s <scenario>``.

Each run gets a port, a loopback range and an ephemeral directory of its own, so scenarios run side by side
under pytest-xdist (and beside another checkout's run) without meeting. A scenario takes 20-40 s: it starts
its own lab engine, converges, checks idempotence and check mode, verifies through the API, and destroys.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SCENARIOS = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))


def test_every_role_has_a_scenario():
    roles = sorted(p.name for p in (ROOT / "roles").iterdir() if (p / "tasks").is_dir())
    assert set(roles) <= set(SCENARIOS), f"roles without a molecule scenario: {set(roles) - set(SCENARIOS)}"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario: str, tmp_path: Path):
    if shutil.which("molecule", path=str(BIN)) is None:
        pytest.fail("molecule is not installed in the virtualenv; `make setup` installs the test extra")
    net = f"127.{221 + SCENARIOS.index(scenario)}.{os.getpid() % 250 + 1}"
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "MOLECULE_GLOB": "molecule/*/molecule.yml", "MOLECULE_EPHEMERAL_DIRECTORY": str(tmp_path / "molecule"),
           "VDC_MOLECULE_PORT": str(free_port()), "VDC_MOLECULE_LAB_NET": net,
           "ANSIBLE_HOME": str(tmp_path / "ansible"), "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible" / "tmp"),
           "NO_COLOR": "1", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "PY_COLORS": "0"}
    for key in ("VDC_URL", "VDC_USERNAME", "VDC_PASSWORD", "VDC_TOKEN"):
        env.pop(key, None)
    proc = subprocess.run([str(BIN / "molecule"), "test", "-s", scenario], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=900)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    assert f"{scenario} > verify: Executed: Successful" in output, output[-3000:]
    assert f"{scenario} > idempotence: Executed: Successful" in output, output[-3000:]
