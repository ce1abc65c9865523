"""The collection end to end: ansible-playbook from the virtualenv against a live engine.

Four playbook runs (each costs a few seconds): build, build again (changed=0), a modified declaration under
``--check --diff`` (exactly the changing fields, nothing changed), and bad declarations (failures name the
entity; the two tests share nothing but the engine, so pytest-xdist may split them). Every run writes its
registered results to a JSON file, so assertions read results, not logs.
"""

from __future__ import annotations

import pytest

from tests.integration.helpers import EngineApi, GiB, playbook_runner

BUILD = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/vdc.infra.engine:
      auth: {url: "{{ engine_url }}", username: admin@internal, password: "{{ engine_password }}"}
  tasks:
    - {name: data center, vdc.infra.datacenter: {name: dc1, compatibility_version: "4.7", description: "{{ dc_text }}"},
       register: dc}
    - {name: cluster, vdc.infra.cluster: {name: c1, data_center: dc1, cpu_type: Intel Nehalem Family}, register: cl}
    - name: network
      vdc.infra.network: {name: app, data_center: dc1, mtu: 1500, clusters: [{name: c1, required: false}]}
      register: net
    - name: storage domain (attached; activation needs a host that is up)
      vdc.infra.storage_domain:
        name: data1
        data_center: dc1
        state: maintenance
        nfs: {address: nas.example.org, path: /export/data1}
      register: sd
    - name: vm
      vdc.infra.vm:
        name: web1
        cluster: c1
        memory: "{{ memory }}"
        cpu_cores: 2
        disks: [{name: web1_os, size: "{{ disk_size }}", storage_domain: data1, bootable: true}]
        nics: [{name: nic1, network: app, interface: "{{ nic_interface }}"}]
        exclusive: true
      register: vm
    - name: results
      ansible.builtin.copy:
        content: "{{ {'dc': dc, 'cluster': cl, 'network': net, 'sd': sd, 'vm': vm} | to_json }}"
        dest: "{{ out }}"
      check_mode: false
      changed_when: false
"""

BAD = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/vdc.infra.engine:
      auth: {url: "{{ engine_url }}", username: admin@internal, password: "{{ engine_password }}"}
  tasks:
    - {name: wrong type, vdc.infra.vm: {name: bad1, cluster: c1, cpu_cores: many}, register: wrong_type,
       ignore_errors: true}
    - {name: unknown cluster, vdc.infra.vm: {name: bad2, cluster: nope}, register: unknown_cluster,
       ignore_errors: true}
    - {name: bad size, vdc.infra.vm: {name: bad3, cluster: c1, memory: 2GB x}, register: bad_size,
       ignore_errors: true}
    - {name: a typo in an option, vdc.infra.vm: {name: bad4, cluster: c1, memroy: 1GiB}, register: typo,
       ignore_errors: true}
    - {name: a data center without hosts, vdc.infra.datacenter: {name: dc-nohost}}
    - name: active storage needs a host that is up
      vdc.infra.storage_domain: {name: data-nohost, data_center: dc-nohost, nfs: {address: nas, path: /nohost}}
      register: activate
      ignore_errors: true
    - name: results
      ansible.builtin.copy:
        content: "{{ {'wrong_type': wrong_type, 'unknown_cluster': unknown_cluster, 'bad_size': bad_size,
                      'typo': typo, 'activate': activate} | to_json }}"
        dest: "{{ out }}"
      changed_when: false
"""

ORIGINAL = {"dc_text": "lab", "memory": "1GiB", "disk_size": "2GiB", "nic_interface": "virtio"}
MODIFIED = {"dc_text": "lab", "memory": "2GiB", "disk_size": "3GiB", "nic_interface": "e1000"}


@pytest.fixture(scope="module")
def runner(live_engine, tmp_path_factory):
    work = tmp_path_factory.mktemp("playbooks")
    (work / "build.yml").write_text(BUILD)
    (work / "bad.yml").write_text(BAD)
    return playbook_runner(live_engine, work)


def engine_get(live_engine, path: str, **params) -> dict:
    return EngineApi(live_engine).get(path, **params)


def test_build_then_nothing_to_do_then_a_check_that_predicts_and_changes_nothing(runner, live_engine):
    first, stats, log = runner("build.yml", ORIGINAL)
    assert stats["failed"] == 0, log
    assert stats["changed"] == 5, log
    assert all(first[k]["changed"] for k in ("dc", "cluster", "network", "sd", "vm"))
    vm = first["vm"]
    assert vm["id"] and vm["vm"]["name"] == "web1" and vm["vm"]["memory"] == GiB
    assert [s["op"] for s in vm["plan"]] == ["create", "create", "create"]
    # state maintenance attaches, then deactivates: the engine activates a domain on attach when a host is up
    # (here none is, so the deactivate finds it in maintenance already); either way the next run is a no-op.
    assert [(s["op"], s.get("action")) for s in first["sd"]["plan"]] == [
        ("create", None), ("action", "attach"), ("action", "deactivate")]
    attached = engine_get(live_engine, f"datacenters/{first['dc']['id']}/storagedomains")["storage_domain"]
    assert [(d["name"], d["status"]) for d in attached] == [("data1", "maintenance")]

    again, stats, log = runner("build.yml", ORIGINAL)
    assert stats["changed"] == 0 and stats["failed"] == 0, log
    assert {s["op"] for r in again.values() for s in r["plan"]} == {"noop"}
    assert all(s["reason"] for r in again.values() for s in r["plan"])

    check, stats, log = runner("build.yml", MODIFIED, "--check", "--diff")
    assert stats["failed"] == 0, log
    assert stats["changed"] == 1, log  # only the VM task
    diffs = {d["before_header"]: (d["before"], d["after"]) for d in check["vm"]["diff"]}
    assert diffs == {
        "VM 'web1' (update)": ({"memory": GiB}, {"memory": 2 * GiB}),
        "disk 'web1_os' of VM 'web1' (update)": ({"size": 2 * GiB}, {"size": 3 * GiB}),
        "NIC 'nic1' of VM 'web1' (update)": ({"interface": "virtio"}, {"interface": "e1000"}),
    }
    assert "-    \"memory\": 1073741824" in log and "+    \"memory\": 2147483648" in log
    vms = engine_get(live_engine, "vms", search="name=web1", follow="disk_attachments.disk,nics")["vm"]
    assert vms[0]["memory"] == GiB
    assert vms[0]["disk_attachments"]["disk_attachment"][0]["disk"]["provisioned_size"] == 2 * GiB
    assert vms[0]["nics"]["nic"][0]["interface"] == "virtio"


def test_bad_declarations_fail_naming_the_entity(runner, live_engine):
    results, stats, log = runner("bad.yml", {})
    assert stats["failed"] == 0, log
    assert all(r["failed"] for r in results.values())
    assert results["wrong_type"]["msg"].startswith("VM 'bad1': argument 'cpu_cores' is of type str")
    assert results["unknown_cluster"]["msg"] == "VM 'bad2': cluster: cluster 'nope' does not exist"
    assert results["bad_size"]["msg"].startswith("VM 'bad3': invalid declaration: memory: '2GB x' is not a size")
    # A typo gets Ansible's own answer: what is unknown, and every option there is.
    typo = results["typo"]["msg"]
    assert "Unsupported parameters for (vdc.infra.vm) module: memroy." in typo, typo
    assert "Supported parameters include:" in typo and "memory" in typo.split("include:")[1]
    assert results["activate"]["entity"] == "storage domain 'data-nohost'"
    assert results["activate"]["status"] == 409 and "no host in status up" in results["activate"]["msg"]
    names = [v["name"] for v in engine_get(live_engine, "vms").get("vm", [])]
    assert not {"bad1", "bad2", "bad3", "bad4"} & set(names)
