"""vdc.infra.snapshot as a play on lab hosts (libvirt's test driver; the VM is down, so the snapshot is taken
and removed with qemu-img on real volumes): taken, found again by its description (no change), predicted in
check mode with its diff, restored, removed, and gone (with its RAM: ``test_snapshot_memory_play.py``)."""

from __future__ import annotations

import ovirtsdk4.types as t
import pytest

from tests.hosts.helpers import MiB, connect, ensure_estate, wait_for
from tests.integration.helpers import playbook_runner

PLAY = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/vdc.infra.engine:
      auth: {url: "{{ engine_url }}", username: admin@internal, password: "{{ engine_password }}"}
  tasks:
    - name: the snapshot
      vdc.infra.snapshot:
        vm: snap1
        description: "{{ description }}"
        state: "{{ state }}"
        use_memory: "{{ use_memory | default(omit) }}"
      register: snap
    - name: results
      ansible.builtin.copy:
        content: "{{ {'snap': snap} | to_json }}"
        dest: "{{ out }}"
      check_mode: false
      changed_when: false
"""


@pytest.fixture(scope="module")
def estate(lab_engine, tmp_path_factory):
    conn = connect(lab_engine)
    est = ensure_estate(lab_engine, conn, str(tmp_path_factory.mktemp("nfs")))
    vms = conn.system_service().vms_service()
    vm = vms.add(t.Vm(name="snap1", cluster=t.Cluster(name="Default"), template=t.Template(name="Blank"),
                      memory=64 * MiB, memory_policy=t.MemoryPolicy(guaranteed=64 * MiB, max=64 * MiB)))
    att = vms.vm_service(vm.id).disk_attachments_service().add(t.DiskAttachment(
        disk=t.Disk(name="snap1-disk", format=t.DiskFormat.COW, provisioned_size=1 * MiB,
                    storage_domains=[t.StorageDomain(id=est.sd_id)]), interface=t.DiskInterface.VIRTIO,
        bootable=True, active=True))
    disk = conn.system_service().disks_service().disk_service(att.disk.id)
    wait_for(disk.get, lambda d: d.status == t.DiskStatus.OK, what="the disk ok")
    try:
        yield conn, vm.id
    finally:
        conn.close()


def test_snapshot_module_takes_finds_restores_and_removes(estate, lab_engine, tmp_path):
    conn, vm_id = estate
    snapshots = conn.system_service().vms_service().vm_service(vm_id).snapshots_service()
    (tmp_path / "snap.yml").write_text(PLAY)
    run = playbook_runner(lab_engine, tmp_path)

    def play(state: str, *args: str) -> tuple[dict, dict, str]:
        return run("snap.yml", {"description": "before upgrade", "state": state}, *args)

    def regular() -> list[t.Snapshot]:
        return [s for s in snapshots.list() if s.snapshot_type != t.SnapshotType.ACTIVE]

    out, stats, log = play("present", "--check", "--diff")
    assert stats["failed"] == 0 and stats["changed"] == 1, log
    assert out["snap"]["diff"][0]["after"]["description"] == "before upgrade" and not regular()

    out, stats, log = play("present")
    assert stats["failed"] == 0 and stats["changed"] == 1, log
    [taken] = regular()
    assert taken.description == "before upgrade" and taken.snapshot_status == t.SnapshotStatus.OK
    assert out["snap"]["id"] == taken.id

    out, stats, log = play("present")
    assert stats["failed"] == 0 and stats["changed"] == 0, log
    assert out["snap"]["id"] == taken.id and len(regular()) == 1

    out, stats, log = play("restore")
    assert stats["failed"] == 0 and stats["changed"] == 1, log
    assert [s.snapshot_status for s in regular()] == [t.SnapshotStatus.OK]

    out, stats, log = play("absent", "--check")
    assert stats["changed"] == 1 and len(regular()) == 1, log
    out, stats, log = play("absent")
    assert stats["failed"] == 0 and stats["changed"] == 1, log
    assert not regular()
    out, stats, log = play("absent")
    assert stats["failed"] == 0 and stats["changed"] == 0, log

