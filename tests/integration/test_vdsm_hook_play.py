"""The done-when of managed VDSM hooks, as a play: ``numa`` declared in UserDefinedVMProperties with
vdc.infra.engine_config, the seed's numa hook (as the seed prints it, shebang and all) deployed with
vdc.infra.vdsm_hook to cluster Default, a VM with ``numa=strict:0`` started with vdc.infra.vm: the domain libvirt
defined (libvirt's test driver on lab hosts) holds the ``<numatune>`` the hook wrote. A second run changes
nothing; a check run of a changed script predicts the change (with its diff) and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.hosts.helpers import connect, ensure_estate
from tests.integration.helpers import playbook_runner

SEED_NUMA = Path(__file__).parent.parent / "data" / "hooks" / "50_numa"

PLAY = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/vdc.infra.engine:
      auth: {url: "{{ engine_url }}", username: admin@internal, password: "{{ engine_password }}"}
  tasks:
    - name: numa is a custom property of level 4.7
      vdc.infra.engine_config:
        name: UserDefinedVMProperties
        value: '{{ "numa=^(strict|interleave|preferred):[0-9^,-]+$" }}'
        version: "4.7"
      register: config
    - name: the numa hook on every host of the cluster
      vdc.infra.vdsm_hook: {name: 50_numa, event: before_vm_start, src: "{{ hook_src }}", clusters: [Default]}
      register: hook
    - name: a VM asking for strict NUMA memory on node 0, running
      vdc.infra.vm:
        name: numa1
        cluster: Default
        memory: 256MiB
        custom_properties: [{name: numa, value: "strict:0"}]
        state: running
      register: vm
    - name: what the hosts have
      vdc.infra.host_hook_info: {host: lab0}
      register: info
    - name: results
      ansible.builtin.copy:
        content: "{{ {'config': config, 'hook': hook, 'vm': vm, 'info': info} | to_json }}"
        dest: "{{ out }}"
      check_mode: false
      changed_when: false
"""


@pytest.fixture(scope="module")
def play(lab_engine, tmp_path_factory):
    conn = connect(lab_engine)
    try:
        ensure_estate(lab_engine, conn, str(tmp_path_factory.mktemp("nfs")))
    finally:
        conn.close()
    work = tmp_path_factory.mktemp("hook-play")
    (work / "hooks.yml").write_text(PLAY)
    run = playbook_runner(lab_engine, work)
    return lambda src, *args: run("hooks.yml", {"hook_src": str(src)}, *args)


def test_seed_numa_hook_deployed_by_the_collection_shapes_the_started_vm(play, lab_engine, tmp_path):
    first, stats, log = play(SEED_NUMA)
    assert stats["failed"] == 0 and stats["changed"] == 3, log
    hook = first["hook"]["vdsm_hook"]
    assert {s["status"] for s in hook["host_status"]} == {"installed"} and len(hook["host_status"]) == 2
    assert first["info"]["hooks"][0]["md5"] == hook["md5"]
    vm_id = first["vm"]["vm"]["id"] if "vm" in first["vm"] else first["vm"]["id"]
    domains = [h.state_dir / "domains" / f"{vm_id}.xml" for h in lab_engine.engine.lab.hosts]
    [defined] = [d for d in domains if d.exists()]
    memory = etree.fromstring(defined.read_bytes()).find("numatune/memory")
    assert (memory.get("mode"), memory.get("nodeset")) == ("strict", "0")

    again, stats, log = play(SEED_NUMA)
    assert stats["failed"] == 0 and stats["changed"] == 0, log

    edited = tmp_path / "50_numa"
    edited.write_text(SEED_NUMA.read_text() + "# tuned\n")
    planned, stats, log = play(edited, "--check", "--diff")
    assert stats["changed"] == 1 and planned["hook"]["changed"] is True, log
    (diff,) = planned["hook"]["diff"]
    assert diff["after"]["content"].endswith("# tuned\n") and diff["before"]["content"] == hook["content"]
    assert not diff["before"]["content"].endswith("# tuned\n") and set(diff["after"]) == {"content"}
    for h in lab_engine.engine.lab.hosts:  # nothing changed on the hosts
        assert (h.state_dir / "hooks" / "before_vm_start" / "50_numa").read_text() == SEED_NUMA.read_text()
