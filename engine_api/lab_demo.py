"""``make demo``: start a lab engine, show what its API answers, and keep it serving (Ctrl-C stops it)."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import urllib.request
from pathlib import Path

from rich.console import Console
from rich.table import Table

LISTEN = os.environ.get("VDC_DEMO_LISTEN", "127.0.0.1:8443")
DATA_DIR = Path(os.environ.get("VDC_DEMO_DIR", ".lab/engine"))


def _get(url: str, password: str) -> dict:
    token = base64.b64encode(f"admin@internal:{password}".encode()).decode()
    req = urllib.request.Request(url, headers={"Accept": "application/json", "Authorization": f"Basic {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def main() -> int:
    console = Console()
    password_file = DATA_DIR.parent / "admin-password"
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    if not password_file.exists():
        password_file.write_text(secrets.token_urlsafe(12))
        password_file.chmod(0o600)
    password = password_file.read_text().strip()
    env = dict(os.environ, VDC_ADMIN_PASSWORD=password)
    cmd = [sys.executable, "-m", "engine_api", "serve", "--listen", LISTEN, "--data-dir", str(DATA_DIR),
           "--lab-hosts", "2"]
    console.print(f"[bold]starting[/] {' '.join(cmd[1:])}")
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    try:
        url = ""
        for line in proc.stdout:  # type: ignore[union-attr]
            if "ready" in line:
                url = line.split()[-1]
                break
        if not url:
            console.print("[red]the engine did not start[/]")
            return 1
        api = _get(url, password)
        table = Table(title=f"{api['product_info']['name']} {api['product_info']['version']['full_version']}")
        table.add_column("collection")
        table.add_column("entities", justify="right")
        for name in ("datacenters", "clusters", "hosts", "storagedomains", "networks", "templates", "vms"):
            found = _get(f"{url}/{name}", password)
            table.add_row(name, str(sum(len(v) for v in found.values() if isinstance(v, list))))
        console.print(table)
        console.print(f"API: [bold]{url}[/]  user admin@internal, password in {password_file}")
        if sys.stdin.isatty():
            console.print("serving; Ctrl-C stops the engine")
            proc.wait()
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    sys.exit(main())
