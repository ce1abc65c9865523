"""What the playbook and inventory tests share: running ansible-* from the virtualenv against a live engine,
and a small HTTP client for checking (or laying out) the engine's state behind Ansible's back."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

from engine_api.rest.typed_members import read_answer

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GiB = 1024**3


# A play that applies the estate ``estate`` and writes the module's result to ``out`` as JSON.
APPLY_PLAY = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/vdc.infra.engine:
      auth: {url: "{{ engine_url }}", username: admin@internal, password: "{{ engine_password }}"}
  tasks:
    - {name: converge, vdc.infra.apply: {src: "{{ estate }}"}, register: result}
    - ansible.builtin.copy: {content: "{{ result | to_json }}", dest: "{{ out }}"}
      check_mode: false
      changed_when: false
"""


def ansible_env(work: Path) -> dict[str, str]:
    """The collection from the checkout, quiet output, every Ansible file under ``work``, no VDC_* leaking in."""
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collection"), "ANSIBLE_LOCALHOST_WARNING": "0",
           "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0",
           "ANSIBLE_LOCAL_TEMP": str(work / "tmp"), "ANSIBLE_HOME": str(work / "home")}
    for key in ("VDC_URL", "VDC_USERNAME", "VDC_PASSWORD", "VDC_TOKEN", "VDC_CA_FILE", "VDC_INSECURE"):
        env.pop(key, None)
    return env


Runner = Callable[..., tuple[dict, dict, str]]


def playbook_runner(live, work: Path) -> Runner:
    """``run(playbook, extra_vars, *args)`` → (the JSON the playbook wrote to ``out``, recap counts, stdout)."""
    env = ansible_env(work)

    def run(playbook: str, extra: dict, *args: str) -> tuple[dict, dict, str]:
        out = work / f"{Path(playbook).stem}-{len(list(work.glob('*.json')))}.json"
        variables = {**extra, "engine_url": live.url, "engine_password": live.password, "out": str(out)}
        (work / "vars.json").write_text(json.dumps(variables))
        proc = subprocess.run([str(BIN / "ansible-playbook"), playbook, "-e", "@vars.json", *args], cwd=work,
                              env=env, capture_output=True, text=True, timeout=600)
        recap = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", proc.stdout)
        assert recap, proc.stdout + proc.stderr
        stats = dict(zip(("ok", "changed", "failed"), map(int, recap.groups()), strict=True))
        assert out.exists(), proc.stdout + proc.stderr
        return json.loads(out.read_text()), stats, proc.stdout

    return run


class EngineApi:
    """Plain JSON calls to the engine with an SSO token, for arranging and checking state."""

    def __init__(self, live):
        base = live.url.split("/ovirt-engine/")[0]
        token = httpx.post(f"{base}/ovirt-engine/sso/oauth/token", data={
            "grant_type": "password", "scope": "ovirt-app-api", "username": live.username,
            "password": live.password}).json()["access_token"]
        self.http = httpx.Client(base_url=live.url + "/", timeout=30, headers={
            "Authorization": f"Bearer {token}", "Accept": "application/json", "Content-Type": "application/json"})

    def get(self, path: str, **params) -> dict:
        """The answer with its integers and booleans (strings on the wire) read back by type."""
        resp = self.http.get(path, params=params)
        assert resp.status_code == 200, resp.text
        return read_answer(resp.json(), path)

    def find(self, collection: str, name: str, **params) -> list[dict]:
        """The entities of ``collection`` named ``name`` (its list answer unwrapped)."""
        doc = self.get(collection, search=f"name={name}", **params)
        return next((v for v in doc.values() if isinstance(v, list)), [])

    def add(self, path: str, body: dict) -> dict:
        resp = self.http.post(path, json=body)
        assert resp.status_code < 300, resp.text
        return read_answer(resp.json(), path)

    def remove(self, path: str) -> None:
        resp = self.http.delete(path)
        assert resp.status_code < 300, resp.text
