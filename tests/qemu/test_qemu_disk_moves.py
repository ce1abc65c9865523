"""Copying and moving disks between storage domains on QEMU lab hosts: a copy while the VM is down, a live move
while the counting guest runs (block copy and pivot: the guest keeps counting from the new domain), an offline
move back, and the guest still boots."""

from __future__ import annotations

import subprocess
from pathlib import Path

import ovirtsdk4.types as t

from tests.hosts.helpers import ensure_estate, wait_for
from tests.qemu.test_qemu_snapshots import running_source
from tests.qemu.vms import counting_vm, disk_path, wait_counting


def same_contents(a: str, b: str) -> bool:
    return subprocess.run(["qemu-img", "compare", "-U", a, b], capture_output=True).returncode == 0


def sd_path(estate, sd_id: str) -> Path:
    return Path(estate.system.storage_domains_service().storage_domain_service(sd_id).get().storage.path)


def wait_disk(estate, disk_id: str, sd_id: str) -> t.Disk:
    service = estate.system.disks_service().disk_service(disk_id)
    return wait_for(service.get, lambda d: d.status == t.DiskStatus.OK and d.storage_domains[0].id == sd_id,
                    timeout=60, what="the disk ok on the target domain",
                    describe=lambda d: (d.status, d.storage_domains[0].id))


def test_disk_copied_and_moved_live_and_offline(qemu_engine, qconn, qstorage, qestate):
    second = ensure_estate(qemu_engine, qconn, qstorage, sd_name="labnfs2")
    sd1, sd2 = qestate.sd_id, second.sd_id
    vm_id, disk_id = counting_vm(qestate, "q-move")
    disks = qestate.system.disks_service()
    copy_id = None
    try:
        src = disk_path(qestate, disk_id)
        disks.disk_service(disk_id).copy(storage_domain=t.StorageDomain(id=sd2), disk=t.Disk(name="q-move-copy"))
        copy = wait_for(lambda: disks.list(search="name=q-move-copy"), lambda found: bool(found) and
                        found[0].status == t.DiskStatus.OK, timeout=60, what="the copy ok")[0]
        copy_id = copy.id
        assert copy.storage_domains[0].id == sd2 and copy.format == t.DiskFormat.RAW
        assert same_contents(src, str(sd_path(qestate, sd2) / copy.id))

        qestate.start_on(vm_id, 0)
        before = wait_counting(qestate, vm_id, 2)
        disks.disk_service(disk_id).move(storage_domain=t.StorageDomain(id=sd2))
        wait_disk(qestate, disk_id, sd2)
        assert Path(running_source(qestate, vm_id)).parent == sd_path(qestate, sd2)
        assert not Path(src).exists()
        assert wait_counting(qestate, vm_id, before) > before  # the guest ran on through the pivot

        qestate.vm(vm_id).stop()
        qestate.wait_vm_status(vm_id, t.VmStatus.DOWN)
        disks.disk_service(disk_id).move(storage_domain=t.StorageDomain(id=sd1))  # offline: qemu-img convert
        wait_disk(qestate, disk_id, sd1)
        assert Path(src).exists() and not (sd_path(qestate, sd2) / disk_id).exists()
        qestate.start_on(vm_id, 1)
        wait_counting(qestate, vm_id, 2)
    finally:
        qestate.destroy_vm(vm_id)
        if copy_id:
            disks.disk_service(copy_id).remove()
