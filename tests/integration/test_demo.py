"""``make demo`` end to end, on a port, a data directory and a loopback range of its own (about 10 s)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.live import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_builds_the_lab_estate_twice_and_shows_it(tmp_path):
    env = {**os.environ, "VDC_DEMO_LISTEN": f"127.0.0.1:{free_port()}", "VDC_DEMO_DIR": str(tmp_path / "engine"),
           "VDC_DEMO_LAB_ADDRESS": f"127.220.{os.getpid() % 250 + 1}.1", "COLUMNS": "200", "TERM": "dumb"}
    for key in ("VDC_URL", "VDC_USERNAME", "VDC_PASSWORD", "VDC_TOKEN"):
        env.pop(key, None)
    proc = subprocess.run([sys.executable, "-m", "engine_api.lab_demo"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    assert "estate lab: 25 created, 0 updated, 0 deleted, 0 unchanged" in out, out[-5000:]
    assert "Second apply" in out and "changed=0" in out
    for title in ("Data centers", "Clusters", "Hosts", "Storage domains", "Networks", "VMs"):
        assert title in out
    assert "lab-host2" in out and str(tmp_path / "admin-password") in out
