"""The inventory plugin end to end: ``ansible-inventory -i lab.vdc.yml --list`` against a live engine.

Three VMs in two clusters; one run asserts hosts, default groups, host variables, a keyed group, a composed
group and composed variables; two more prove the cache (a VM removed from the engine stays listed until the
cache is flushed). Each run costs well under a second.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.integration.helpers import BIN, EngineApi, GiB, ansible_env

SOURCE = """
plugin: vdc.infra.engine
url: {url}
username: admin@internal
password: "{{{{ lookup('ansible.builtin.env', 'LAB_ENGINE_PASSWORD') }}}}"
search: name=web* or name=db*
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: {cache}
compose:
  ansible_host: vdc_ips | first | default(vdc_name ~ '.lab')
  first_mac: vdc_nics | map(attribute='mac') | first | default('none')
keyed_groups:
  - key: vdc_os
    prefix: os
groups:
  big: vdc_memory >= 2 * 1024 ** 3
"""


@pytest.fixture(scope="module")
def estate(live_engine):
    api = EngineApi(live_engine)
    api.add("clusters", {"name": "web-1", "data_center": {"name": "Default"}, "cpu": {"type": "Intel Nehalem Family"}})
    vms = {}
    for name, cluster, memory, os_type in (("web1", "web-1", 2 * GiB, "rhel_9x64"), ("web2", "web-1", GiB, "rhel_9x64"),
                                           ("db1", "Default", 4 * GiB, "other_linux")):
        vms[name] = api.add("vms", {"name": name, "cluster": {"name": cluster}, "template": {"name": "Blank"},
                                    "memory": memory, "os": {"type": os_type},
                                    "cpu": {"topology": {"cores": 2, "sockets": 1, "threads": 1}},
                                    "description": f"the {name} VM"})
    api.add(f"vms/{vms['web1']['id']}/nics", {"name": "nic1", "interface": "virtio"})
    api.add("vms", {"name": "other", "cluster": {"name": "Default"}, "template": {"name": "Blank"}})  # not searched
    return api, vms


def _plain(value):
    """ansible-inventory marks strings from plugins unsafe: ``{"__ansible_unsafe": "x"}`` → ``"x"``."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@pytest.fixture(scope="module")
def inventory(live_engine, tmp_path_factory):
    work = tmp_path_factory.mktemp("inventory")
    source = work / "lab.vdc.yml"
    source.write_text(SOURCE.format(url=live_engine.url, cache=work / "cache"))
    env = {**ansible_env(work), "LAB_ENGINE_PASSWORD": live_engine.password}

    def run(*args: str) -> dict:
        proc = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(source), "--list", *args], env=env, cwd=work,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0 and "[WARNING]" not in proc.stderr, proc.stdout + proc.stderr
        return _plain(json.loads(proc.stdout))

    return run, work / "cache"


def test_vms_become_hosts_with_groups_and_variables_then_the_cache_answers(estate, inventory):
    api, vms = estate
    run, cache = inventory
    listed = run()
    hostvars = listed["_meta"]["hostvars"]
    assert sorted(hostvars) == ["db1", "web1", "web2"]

    def members(group):
        return sorted(listed.get(group, {}).get("hosts", []))

    assert members("cluster_web_1") == ["web1", "web2"]  # "web-1" sanitised
    assert members("cluster_Default") == ["db1"]
    assert members("data_center_Default") == ["db1", "web1", "web2"]
    assert members("status_down") == ["db1", "web1", "web2"]
    assert not [g for g in listed if g.startswith("tag_")]  # the engine has no tags but root
    assert members("os_rhel_9x64") == ["web1", "web2"] and members("os_other_linux") == ["db1"]  # keyed_groups
    assert members("big") == ["db1", "web1"]  # groups

    web1 = hostvars["web1"]
    nic = web1["vdc_nics"][0]
    assert {k: web1[k] for k in ("vdc_id", "vdc_name", "vdc_status", "vdc_cluster", "vdc_data_center", "vdc_host",
                                 "vdc_memory", "vdc_cpu_cores", "vdc_cpu_sockets", "vdc_os", "vdc_description",
                                 "vdc_tags", "vdc_ips")} == {
        "vdc_id": vms["web1"]["id"], "vdc_name": "web1", "vdc_status": "down", "vdc_cluster": "web-1",
        "vdc_data_center": "Default", "vdc_host": None, "vdc_memory": 2 * GiB, "vdc_cpu_cores": 2,
        "vdc_cpu_sockets": 1, "vdc_os": "rhel_9x64", "vdc_description": "the web1 VM", "vdc_tags": [], "vdc_ips": []}
    assert nic["name"] == "nic1" and nic["interface"] == "virtio" and len(nic["mac"]) == 17 and nic["ips"] == []
    assert web1["ansible_host"] == "web1.lab" and web1["first_mac"] == nic["mac"]  # compose
    assert hostvars["web2"]["first_mac"] == "none"
    assert list(cache.iterdir()), "the jsonfile cache was not written"

    api.remove(f"vms/{vms['db1']['id']}")
    assert sorted(run()["_meta"]["hostvars"]) == ["db1", "web1", "web2"]  # from the cache
    assert sorted(run("--flush-cache")["_meta"]["hostvars"]) == ["web1", "web2"]
