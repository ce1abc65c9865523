"""``vdc.infra.apply`` end to end: the example lab estate through playbooks/site.yml and gitops.yml against an
engine with two lab hosts (hosts really come up, storage is activated, VMs run).

Few playbook runs, each asserting a lot: build (everything created, VMs up on hosts), build again (changed=0),
verify (no drift); then a changed copy of the estate planned under --check --diff (nothing changes), applied
with prune (only marked entities go, an unmarked VM stays), verified; and a broken file whose error names its
file and line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from engine_api.rest.typed_members import read_answer

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK_BIN = Path(sys.executable).parent / "ansible-playbook"
GiB = 1024**3


@pytest.fixture(scope="module")
def estate(lab_engine, tmp_path_factory):
    """A copy of the lab estate pointing at this engine's lab hosts and a storage path of its own."""
    work = tmp_path_factory.mktemp("apply")
    shutil.copytree(ROOT / "playbooks" / "estates" / "lab", work / "lab")
    addresses = [h.address for h in lab_engine.engine.lab.hosts]
    (work / "lab" / "vars.yml").write_text(json.dumps({
        "lab_host_addresses": addresses, "lab_storage_address": "127.0.0.1",
        "lab_storage_path": str(work / "storage" / "lab-data")}))
    return work


@pytest.fixture(scope="module")
def play(lab_engine, estate):
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collection"), "ANSIBLE_LOCALHOST_WARNING": "0",
           "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0",
           "ANSIBLE_LOCAL_TEMP": str(estate / "tmp"), "ANSIBLE_HOME": str(estate / "home"),
           "VDC_URL": lab_engine.url, "VDC_USERNAME": lab_engine.username, "VDC_PASSWORD": lab_engine.password}

    def run(playbook: str, *args: str) -> tuple[dict, str]:
        proc = subprocess.run([str(PLAYBOOK_BIN), str(playbook), "-e", f"estate_dir={estate / 'lab'}", *args],
                              cwd=estate, env=env, capture_output=True, text=True, timeout=300)
        recap = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", proc.stdout)
        assert recap, proc.stdout + proc.stderr
        return dict(zip(("ok", "changed", "failed"), map(int, recap.groups()), strict=True)), proc.stdout

    return run


def api(lab_engine, path: str, method: str = "GET", **kwargs) -> dict:
    auth = (lab_engine.username, lab_engine.password)
    answer = httpx.request(method, f"{lab_engine.url}/{path}", auth=auth, headers={"Accept": "application/json"},
                           timeout=30, **kwargs)
    answer.raise_for_status()
    return read_answer(answer.json(), path) if answer.content else {}  # integers and booleans read by type


def summary(log: str) -> str:
    return re.search(r'"msg": "estate lab: ([^"]+)"', log).group(1)


def test_the_lab_estate_builds_then_does_nothing_then_verifies(play, lab_engine):
    stats, log = play(ROOT / "playbooks" / "site.yml")
    assert stats["failed"] == 0 and stats["changed"] == 1, log
    assert summary(log) == "25 created, 0 updated, 0 deleted, 0 unchanged"
    hosts = {h["name"]: h for h in api(lab_engine, "hosts")["host"]}
    assert {n: h["status"] for n, h in hosts.items()} == {"lab-host1": "up", "lab-host2": "up"}
    vms = {v["name"]: v for v in api(lab_engine, "vms", params={"follow": "disk_attachments,nics"})["vm"]}
    assert {n: v["status"] for n, v in vms.items()} == {"web1": "up", "web2": "up", "db1": "up", "build1": "down"}
    assert vms["db1"]["host"]["id"] == hosts["lab-host2"]["id"]  # the only host of its cluster
    assert vms["db1"]["memory"] == GiB and vms["db1"]["comment"] == "vdc-estate:lab"
    assert len(vms["db1"]["nics"]["nic"]) == 2 and len(vms["db1"]["disk_attachments"]["disk_attachment"]) == 2
    sd = api(lab_engine, "storagedomains", params={"search": "name=lab-data"})["storage_domain"][0]
    dc = api(lab_engine, "datacenters", params={"search": "name=lab"})["data_center"][0]
    assert api(lab_engine, f"datacenters/{dc['id']}/storagedomains/{sd['id']}")["status"] == "active"

    stats, log = play(ROOT / "playbooks" / "site.yml")
    assert stats["changed"] == 0 and stats["failed"] == 0, log
    assert summary(log) == "0 created, 0 updated, 0 deleted, 25 unchanged"
    stats, log = play(ROOT / "playbooks" / "gitops.yml", "-e", "mode=verify")
    assert stats["failed"] == 0, log
    assert "the engine matches the declared estate" in log


def test_a_change_is_planned_then_applied_with_prune(play, lab_engine, estate):
    cluster = api(lab_engine, "clusters", params={"search": "name=lab-web"})["cluster"][0]
    api(lab_engine, "vms", "POST", json={"name": "handmade", "cluster": {"id": cluster["id"]},
                                         "template": {"name": "Blank"}})
    vms_file = estate / "lab" / "state" / "20-vms.yml"
    text = vms_file.read_text()
    text = text.replace("    memory: 1GiB\n    cpu_cores: 2\n    state: stopped", "    memory: 2GiB\n"
                        "    cpu_cores: 2\n    state: stopped")
    vms_file.write_text(text[:text.index("  - name: web2")] + text[text.index("  - name: db1"):])

    stats, log = play(ROOT / "playbooks" / "gitops.yml", "-e", "mode=plan", "-e", "estate_prune=true")
    assert stats["failed"] == 0 and stats["changed"] == 1, log
    assert "~ VM 'build1': update (memory differ)" in log
    assert "> VM 'web2': action stop (a VM that is up cannot be removed)" in log
    assert "- VM 'web2': delete (state absent: no longer declared in estate lab, which owns it)" in log
    assert "handmade" not in log  # never marked, never touched
    assert '-    "memory": 1073741824' in log and '+    "memory": 2147483648' in log
    assert {v["name"] for v in api(lab_engine, "vms")["vm"]} == {"web1", "web2", "db1", "build1", "handmade"}

    stats, log = play(ROOT / "playbooks" / "gitops.yml", "-e", "mode=verify")
    assert stats["failed"] == 1 and "drifted from the declared estate: VM 'build1': update" in log, log

    stats, log = play(ROOT / "playbooks" / "gitops.yml", "-e", "mode=apply", "-e", "estate_prune=true")
    assert stats["failed"] == 0 and stats["changed"] == 1, log
    vms = {v["name"]: v for v in api(lab_engine, "vms")["vm"]}
    assert set(vms) == {"web1", "db1", "build1", "handmade"} and vms["build1"]["memory"] == 2 * GiB
    stats, log = play(ROOT / "playbooks" / "gitops.yml", "-e", "mode=verify", "-e", "estate_prune=true")
    assert stats["failed"] == 0, log


BROKEN = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - {name: broken file, vdc.infra.apply: {src: broken.yml}, register: broken, ignore_errors: true}
    - {name: missing cluster, vdc.infra.apply: {src: unknown.yml}, register: unknown, ignore_errors: true}
    - ansible.builtin.copy: {content: "{{ {'broken': broken, 'unknown': unknown} | to_json }}", dest: out.json}
"""


def test_errors_name_the_file_and_the_line(play, estate):
    (estate / "broken.yml").write_text("vms:\n  - name: a\n    cluster: lab-web\n  - name: b\n    memory: 2GB x\n"
                                       "  - {name: c, cluster: lab-web, cpu_cores: many}\n")
    (estate / "unknown.yml").write_text("estate: lab\nvms:\n  - name: c\n    cluster: nowhere\n")
    (estate / "broken-play.yml").write_text(BROKEN)
    stats, log = play(estate / "broken-play.yml")
    assert stats["failed"] == 0, log
    results = json.loads((estate / "out.json").read_text())
    assert results["broken"]["msg"].splitlines()[0] == (
        "broken.yml:5: vms[1].memory: '2GB x' is not a size; write it like '2GiB', '512MiB', '2GB' or a number of "
        "bytes")
    assert results["broken"]["msg"].splitlines()[1].startswith("broken.yml:6: vms[2].cpu_cores: ")
    assert results["unknown"]["msg"] == "unknown.yml:3: VM 'c': cluster: cluster 'nowhere' does not exist"


EXPORT_CHECK = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - {name: apply the export, vdc.infra.apply: {src: exported.yml}, register: again, check_mode: true}
    - ansible.builtin.copy: {content: "{{ again | to_json }}", dest: again.json}
      check_mode: false
"""


def test_export_writes_what_exists_and_keeps_a_persons_comments(play, estate):
    exported = estate / "exported.yml"
    exported.write_text("---\n# the lab, exported\nestate: lab  # owner\nvms: []\n")
    stats, log = play(ROOT / "playbooks" / "export.yml", "-e", f"export_dest={exported}", "-e", "export_estate=lab")
    assert stats["failed"] == 0 and stats["changed"] == 1, log
    text = exported.read_text()
    assert text.startswith("---\n# the lab, exported\nestate: lab  # owner\n")
    assert "  - name: build1\n" in text and "memory: 2GiB" in text and "handmade" not in text
    stats, log = play(ROOT / "playbooks" / "export.yml", "-e", f"export_dest={exported}", "-e", "export_estate=lab")
    assert stats["changed"] == 0, log
    (estate / "export-check.yml").write_text(EXPORT_CHECK)
    stats, log = play(estate / "export-check.yml")
    again = json.loads((estate / "again.json").read_text())
    assert stats["failed"] == 0 and not again["changed"] and again["plan"] == [], again["plan"]
    assert again["totals"]["unchanged"] > 0 and again["totals"]["unchanged"] == sum(again["totals"].values())
