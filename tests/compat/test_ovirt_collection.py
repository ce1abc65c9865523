"""The real ``ovirt.ovirt`` collection converges an estate against a lab engine, and its second run changes nothing.

The collection is the one shipped inside the ``ansible`` package (12.3.0, with ovirtsdk4 4.6.3), installed in
``.venv-ovirt`` by ``scripts/ovirt-collection.sh`` (``make setup`` runs it). One playbook builds a data center,
a cluster, two lab hosts, an NFS domain, a VM network, a running VM with a disk and a NIC, and reads every one
of them back through the ``_info`` modules. It is run twice: the second run must report ``changed=0``.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import subprocess
import time
from pathlib import Path

import ovirtsdk4 as sdk
import pytest

from tests.conftest import under_ci

CPU_TYPE = "Intel Skylake Client Family"
ZERO_ID = "00000000-0000-0000-0000-000000000000"
ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-ovirt"
PLAYBOOK_TIMEOUT = 600

PLAYBOOK = r"""
- name: converge a lab estate with ovirt.ovirt
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    prefix: lab
  tasks:
    - name: log in
      ovirt.ovirt.ovirt_auth:
        url: "{{ engine_url }}"
        username: "{{ engine_user }}"
        password: "{{ engine_password }}"
        insecure: true

    - name: the estate
      module_defaults:
        group/ovirt.ovirt.ovirt:
          auth: "{{ ovirt_auth }}"
        ovirt.ovirt.ovirt_datacenter: {poll_interval: 1}
        ovirt.ovirt.ovirt_cluster: {poll_interval: 1}
        ovirt.ovirt.ovirt_host: {poll_interval: 1}
        ovirt.ovirt.ovirt_storage_domain: {poll_interval: 1}
        ovirt.ovirt.ovirt_network: {poll_interval: 1}
        ovirt.ovirt.ovirt_vm: {poll_interval: 1}
        ovirt.ovirt.ovirt_disk: {poll_interval: 1}
        ovirt.ovirt.ovirt_nic: {poll_interval: 1}
      block:
        - name: data center
          ovirt.ovirt.ovirt_datacenter:
            name: "{{ prefix }}_dc"
            description: lab data center
            local: false
            compatibility_version: "4.7"

        - name: cluster
          ovirt.ovirt.ovirt_cluster:
            name: "{{ prefix }}_cluster"
            data_center: "{{ prefix }}_dc"
            description: lab cluster
            cpu_type: "{{ cpu_type }}"
            compatibility_version: "4.7"

        - name: hosts
          ovirt.ovirt.ovirt_host:
            name: "{{ prefix }}_host{{ index + 1 }}"
            address: "{{ item }}"
            cluster: "{{ prefix }}_cluster"
            password: unused
            timeout: 120
          loop: "{{ host_addresses }}"
          loop_control:
            index_var: index

        - name: NFS data domain
          ovirt.ovirt.ovirt_storage_domain:
            name: "{{ prefix }}_nfs"
            domain_function: data
            host: "{{ prefix }}_host1"
            data_center: "{{ prefix }}_dc"
            nfs:
              address: 127.0.0.1
              path: "{{ nfs_path }}"
              version: v4_2

        - name: VM network
          ovirt.ovirt.ovirt_network:
            name: "{{ prefix }}_net"
            data_center: "{{ prefix }}_dc"
            description: lab VM network
            vlan_tag: 100
            vm_network: true
            clusters:
              - name: "{{ prefix }}_cluster"
                required: false

        - name: VM
          ovirt.ovirt.ovirt_vm:
            name: "{{ prefix }}_vm"
            cluster: "{{ prefix }}_cluster"
            template: Blank
            memory: 1GiB
            cpu_cores: 1
            cpu_sockets: 1
            type: server
            operating_system: other_linux
            state: present

        - name: VM disk
          ovirt.ovirt.ovirt_disk:
            name: "{{ prefix }}_vm_disk0"
            vm_name: "{{ prefix }}_vm"
            size: 1GiB
            format: cow
            interface: virtio_scsi
            storage_domain: "{{ prefix }}_nfs"
            bootable: true

        - name: VM NIC
          ovirt.ovirt.ovirt_nic:
            name: nic1
            vm: "{{ prefix }}_vm"
            network: "{{ prefix }}_net"
            profile: "{{ prefix }}_net"
            interface: virtio

        - name: VM running
          ovirt.ovirt.ovirt_vm:
            name: "{{ prefix }}_vm"
            cluster: "{{ prefix }}_cluster"
            state: running

        - name: read the data center back
          ovirt.ovirt.ovirt_datacenter_info:
            pattern: name={{ prefix }}_dc
          register: dcs
        - name: read the cluster back
          ovirt.ovirt.ovirt_cluster_info:
            pattern: name={{ prefix }}_cluster
          register: clusters
        - name: read the hosts back
          ovirt.ovirt.ovirt_host_info:
            pattern: cluster={{ prefix }}_cluster
          register: host_list
        - name: read the storage domain back
          ovirt.ovirt.ovirt_storage_domain_info:
            pattern: name={{ prefix }}_nfs
          register: sds
        - name: read the network back
          ovirt.ovirt.ovirt_network_info:
            pattern: name={{ prefix }}_net
          register: nets
        - name: read the VM back
          ovirt.ovirt.ovirt_vm_info:
            pattern: name={{ prefix }}_vm
          register: vms
        - name: read the disk back
          ovirt.ovirt.ovirt_disk_info:
            pattern: alias={{ prefix }}_vm_disk0
          register: disks
        - name: read the NIC back
          ovirt.ovirt.ovirt_nic_info:
            vm: "{{ prefix }}_vm"
            name: nic1
          register: nics

        - name: the estate is as declared
          ansible.builtin.assert:
            that:
              - dcs.ovirt_datacenters | length == 1
              - dcs.ovirt_datacenters[0].status == 'up'
              - clusters.ovirt_clusters | length == 1
              - clusters.ovirt_clusters[0].cpu.type == cpu_type
              - clusters.ovirt_clusters[0].version.minor == 7
              - host_list.ovirt_hosts | length == 2
              - host_list.ovirt_hosts | map(attribute='status') | unique == ['up']
              - host_list.ovirt_hosts | map(attribute='address') | sort == host_addresses | sort
              - sds.ovirt_storage_domains | length == 1
              - sds.ovirt_storage_domains[0].storage.path == nfs_path
              - sds.ovirt_storage_domains[0].type == 'data'
              - nets.ovirt_networks | length == 1
              - nets.ovirt_networks[0].vlan.id == 100
              - vms.ovirt_vms | length == 1
              - vms.ovirt_vms[0].status == 'up'
              - vms.ovirt_vms[0].memory == 1073741824
              - disks.ovirt_disks | length == 1
              - disks.ovirt_disks[0].provisioned_size == 1073741824
              - disks.ovirt_disks[0].format == 'cow'
              - disks.ovirt_disks[0].status == 'ok'
              - nics.ovirt_nics | length == 1
              - nics.ovirt_nics[0].interface == 'virtio'
              - nics.ovirt_nics[0].mac.address | length == 17

    - name: log out
      ovirt.ovirt.ovirt_auth:
        state: absent
        ovirt_auth: "{{ ovirt_auth }}"
"""

_RECAP = re.compile(r"^localhost\s*:\s*(.*)$", re.MULTILINE)


def _recap(output: str) -> dict[str, int]:
    found = _RECAP.findall(output.split("PLAY RECAP", 1)[-1])
    assert found, f"no PLAY RECAP for localhost in the output:\n{output[-4000:]}"
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", found[-1])}


def _run(workdir: Path, env: dict[str, str], run: int) -> tuple[dict[str, int], str, float]:
    started = time.monotonic()
    proc = subprocess.run(
        [str(VENV / "bin" / "ansible-playbook"), "-i", str(workdir / "inventory.ini"),
         "-e", f"@{workdir / 'vars.json'}", str(workdir / "estate.yml")],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT,
    )
    elapsed = time.monotonic() - started
    output = proc.stdout + proc.stderr
    (workdir / f"run{run}.log").write_text(output)
    assert proc.returncode == 0, f"ansible-playbook failed ({proc.returncode}):\n{output[-12000:]}"
    return _recap(output), output, elapsed


@pytest.fixture(scope="module")
def ansible_playbook() -> Path:
    exe = VENV / "bin" / "ansible-playbook"
    if not exe.exists():
        reason = f"{exe} is missing; scripts/ovirt-collection.sh (run by `make setup`) installs it"
        if under_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return exe


def test_estate_converges_and_second_run_changes_nothing(ansible_playbook, lab_engine, tmp_path):
    nfs = tmp_path / "nfs"
    nfs.mkdir()
    (tmp_path / "estate.yml").write_text(PLAYBOOK)
    (tmp_path / "inventory.ini").write_text("localhost ansible_connection=local\n")
    (tmp_path / "vars.json").write_text(json.dumps({
        "engine_url": lab_engine.url, "engine_user": lab_engine.username, "engine_password": lab_engine.password,
        "host_addresses": [h.address for h in lab_engine.engine.lab.hosts], "nfs_path": str(nfs), "cpu_type": CPU_TYPE,
    }))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_PYTHON_INTERPRETER=str(VENV / "bin" / "python"), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_HOME=str(tmp_path / "ansible-home"), ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_DEPRECATION_WARNINGS="0", ANSIBLE_STDOUT_CALLBACK="default", PATH=f"{VENV / 'bin'}:{env['PATH']}",
    )
    env.pop("PYTHONPATH", None)

    first, output, first_time = _run(tmp_path, env, 1)
    assert first["failed"] == 0 and first["unreachable"] == 0, output[-8000:]
    assert first["changed"] > 0, output[-8000:]

    second, output, second_time = _run(tmp_path, env, 2)
    changed = [chunk.split("]", 1)[0] for chunk in output.split("TASK [")[1:] if "\nchanged: [" in chunk]
    assert second["failed"] == 0, output[-8000:]
    assert second["changed"] == 0, f"the second run changed {second['changed']} task(s): {changed}\n{output[-8000:]}"
    _check_what_the_modules_read(lab_engine)
    print(f"first run {first_time:.1f}s ({first}), second run {second_time:.1f}s ({second})")


def _check_what_the_modules_read(lab_engine) -> None:
    """The read-only answers the modules rely on, as ovirtsdk4 reads them for the estate just built."""
    conn = sdk.Connection(url=lab_engine.url, username=lab_engine.username, password=lab_engine.password, timeout=30)
    try:
        system = conn.system_service()
        level = system.cluster_levels_service().level_service("4.7").get()
        assert CPU_TYPE in [t.name for t in level.cpu_types]
        policies = {p.name: p for p in system.scheduling_policies_service().list()}
        assert {"none", "evenly_distributed", "power_saving", "vm_evenly_distributed", "cluster_maintenance"} <= set(
            policies)
        assert {p.name: p.value for p in policies["power_saving"].properties}["LowUtilization"] == "20"
        assert "other_linux" in [o.name for o in system.operating_systems_service().list()]

        cluster = system.clusters_service().list(search="name=lab_cluster")[0]
        assert conn.follow_link(cluster.scheduling_policy).name == "none"
        assert conn.follow_link(cluster.mac_pool).default_pool is True
        assert [p.name for p in conn.follow_link(cluster.cpu_profiles)] == ["lab_cluster"]

        vm = system.vms_service().list(search="name=lab_vm")[0]
        vm_service = system.vms_service().vm_service(vm.id)
        assert vm_service.numa_nodes_service().list() == []
        assert [c.id for c in vm_service.cdroms_service().list()] == [ZERO_ID]
        assert [str(g.protocol) for g in vm_service.graphics_consoles_service().list()] == ["vnc"]
        nic = vm_service.nics_service().list()[0]
        assert conn.follow_link(nic.network_filter_parameters) == []

        host = system.hosts_service().list(search="name=lab_host1")[0]
        host_service = system.hosts_service().host_service(host.id)
        host_nics = host_service.nics_service().list()
        assert sorted(n.name for n in host_nics) == sorted(os.listdir("/sys/class/net"))  # the host's own
        attachments = host_service.network_attachments_service().list()
        assert [conn.follow_link(a.network).name for a in attachments] == ["ovirtmgmt"]
        carrier = conn.follow_link(attachments[0].host_nic)  # the interface the lab host is reached through
        assert carrier.name == "lo" and ipaddress.ip_address(host.address).is_loopback
        nic_service = host_service.nics_service().nic_service(carrier.id)
        assert [a.id for a in nic_service.network_attachments_service().list()] == [attachments[0].id]
        assert host_service.storage_service().list() == []
    finally:
        conn.close()
