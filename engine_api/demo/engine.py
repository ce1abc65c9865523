"""The demo's engine: ``python -m engine_api serve --lab-hosts 2`` as a child process, and a small API client."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from engine_api.rest.typed_members import read_answer

USER = "admin@internal"


@dataclass
class DemoEngine:
    process: subprocess.Popen
    url: str
    password: str
    password_file: Path
    data_dir: Path

    def get(self, path: str, **params: str) -> dict:
        """``GET {url}/{path}`` as JSON (Basic auth: the demo needs no session), its integers and booleans (strings
        on the wire, as oVirt writes them) read back by type."""
        query = urllib.parse.urlencode(params)
        token = base64.b64encode(f"{USER}:{self.password}".encode()).decode()
        req = urllib.request.Request(f"{self.url}/{path}" + (f"?{query}" if query else ""),
                                     headers={"Accept": "application/json", "Authorization": f"Basic {token}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return read_answer(json.load(resp), path)

    def items(self, path: str, **params: str) -> list[dict]:
        doc = self.get(path, **params)
        return next((v for v in doc.values() if isinstance(v, list)), [])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def admin_password(password_file: Path) -> str:
    """The lab's admin password, made once and kept beside the data directory (mode 0600)."""
    password_file.parent.mkdir(parents=True, exist_ok=True)
    if not password_file.exists():
        password_file.write_text(secrets.token_urlsafe(12))
        password_file.chmod(0o600)
    return password_file.read_text().strip()


def start(data_dir: Path, listen: str, lab_address: str, lab_hosts: int = 2, hypervisor: str = "test") -> DemoEngine:
    """Start the engine with lab hosts and wait for its ``ready`` line (RuntimeError if it never comes)."""
    password_file = data_dir.parent / "admin-password"
    password = admin_password(password_file)
    data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "engine_api", "serve", "--listen", listen, "--data-dir", str(data_dir),
           "--lab-hosts", str(lab_hosts), "--lab-address", lab_address, "--lab-hypervisor", hypervisor]
    proc = subprocess.Popen(cmd, env={**os.environ, "VDC_ADMIN_PASSWORD": password}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in proc.stdout:  # type: ignore[union-attr]
        seen.append(line)
        if "ready" in line:
            url = line.split()[-1]
            # Drain the rest in the background so the engine never blocks on a full pipe.
            subprocess.Popen(["cat"], stdin=proc.stdout, stdout=subprocess.DEVNULL)
            return DemoEngine(proc, url, password, password_file, data_dir)
    raise RuntimeError("the engine did not start:\n" + "".join(seen[-20:]))
