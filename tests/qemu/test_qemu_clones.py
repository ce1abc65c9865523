"""VMs copied with their data on QEMU lab hosts: from a snapshot (``POST /vms`` naming it, oVirt's
AddVmFromSnapshot) the copy holds the disk as it was when the snapshot was taken, from ``POST /vms/{id}/clone``
it holds the disk as it is now (a running VM's through a temporary snapshot, merged away after); each copy is
collapsed to one volume and boots the counting guest. A disk with snapshots grows at its active volume; a memory
snapshot previewed with ``restore_memory`` resumes the guest where it was."""

from __future__ import annotations

from pathlib import Path

import ovirtsdk4 as sdk
import ovirtsdk4.types as t
import pytest

from tests.hosts.helpers import MiB, events_since, wait_for
from tests.qemu.guest import BOOT_SECTOR
from tests.qemu.test_qemu_snapshots import MARK, Disk, chain, read, wait_snapshot, write
from tests.qemu.vms import counter, counting_vm, disk_path, wait_counting


def only_disk(estate, vm_id: str) -> t.Disk:
    attachments = estate.vm(vm_id).disk_attachments_service().list()
    assert len(attachments) == 1
    service = estate.system.disks_service().disk_service(attachments[0].disk.id)
    return wait_for(service.get, lambda d: d.status == t.DiskStatus.OK, timeout=60, what="the copy's disk ok",
                    describe=lambda d: d.status)


def last_event_id(estate) -> int:
    events = estate.system.events_service().list(max=1)
    return int(events[0].id) if events else 0


def test_vm_from_snapshot_and_clone_copy_the_right_data(qestate):
    vms = qestate.system.vms_service()
    src_id, src_disk = counting_vm(qestate, "q-cl-src")
    made: list[str] = []
    try:
        write(disk_path(qestate, src_disk), MARK, 0xAB)
        snaps = qestate.vm(src_id).snapshots_service()
        snap = snaps.add(t.Snapshot(description="before", persist_memorystate=False))
        wait_snapshot(qestate, src_id, snap.id)
        disk = Disk(qestate, src_disk)
        write(disk.top(), MARK, 0xCD)  # after the snapshot: the VM's disk now says CD, the snapshot AB

        since = last_event_id(qestate)
        copy = vms.add(t.Vm(name="q-cl-snap", cluster=t.Cluster(name="Default"), snapshots=[t.Snapshot(id=snap.id)]))
        made.append(copy.id)
        copy_disk = only_disk(qestate, copy.id)
        qestate.wait_vm_status(copy.id, t.VmStatus.DOWN)
        path = disk_path(qestate, copy_disk.id)
        assert [Path(c["filename"]).name for c in chain(path)] == [copy_disk.id]  # collapsed, no backing file
        assert read(path, MARK)[:1] == b"\xab" and read(path, 0) == BOOT_SECTOR
        assert copy_disk.format == t.DiskFormat.RAW  # the source disk's own format, not its overlay's
        assert wait_snapshot(qestate, src_id, snap.id).snapshot_status == t.SnapshotStatus.OK
        got = vms.vm_service(copy.id).get()
        assert got.memory == 64 * MiB and got.template.id == "00000000-0000-0000-0000-000000000000"
        descriptions = [e.description for e in events_since(qestate.conn, since)]
        assert any("q-cl-snap creation was initiated" in d for d in descriptions)
        assert wait_for(lambda: [e.description for e in events_since(qestate.conn, since)],
                        lambda ds: any(d == "VM q-cl-snap creation has been completed." for d in ds),
                        timeout=30, what="the completion event")

        qestate.vm(src_id).clone(vm=t.Vm(name="q-cl-clone"))
        clone = vms.list(search="name=q-cl-clone")[0]
        made.append(clone.id)
        clone_disk = only_disk(qestate, clone.id)
        qestate.wait_vm_status(clone.id, t.VmStatus.DOWN)
        qestate.wait_vm_status(src_id, t.VmStatus.DOWN)  # image_locked while its disks were read
        cpath = disk_path(qestate, clone_disk.id)
        assert len(chain(cpath)) == 1 and read(cpath, MARK)[:1] == b"\xcd" and read(cpath, 0) == BOOT_SECTOR
        assert [s.snapshot_type for s in vms.vm_service(clone.id).snapshots_service().list()] == \
            [t.SnapshotType.ACTIVE]  # snapshots are not copied: discard_snapshots

        with pytest.raises(sdk.Error) as no_name:
            qestate.vm(src_id).clone(vm=t.Vm())
        assert no_name.value.code == 400 and "vm.name" in str(no_name.value)
        with pytest.raises(sdk.Error) as unknown:
            vms.add(t.Vm(name="q-cl-none", cluster=t.Cluster(name="Default"),
                         snapshots=[t.Snapshot(id="00000000-0000-0000-0000-00000000abcd")]))
        assert unknown.value.code == 400 and "snapshot" in str(unknown.value)

        qestate.start_on(copy.id, 1)  # the copy boots from its own disk
        wait_counting(qestate, copy.id, 2)
        qestate.start_on(src_id, 0)
        wait_counting(qestate, src_id, 2)
        chain_before = disk.chain_names()
        qestate.vm(src_id).clone(vm=t.Vm(name="q-cl-running"))  # from a temporary snapshot, merged away after
        running = vms.list(search="name=q-cl-running")[0]
        made.append(running.id)
        rpath = disk_path(qestate, only_disk(qestate, running.id).id)
        qestate.wait_vm_status(running.id, t.VmStatus.DOWN)
        assert len(chain(rpath)) == 1 and read(rpath, MARK)[:1] == b"\xcd" and read(rpath, 0) == BOOT_SECTOR
        wait_for(lambda: [s.description for s in snaps.list()], lambda ds: len(ds) == 2, timeout=60,
                 what="the temporary snapshot merged away")
        assert disk.chain_names() == chain_before and qestate.vm(src_id).get().status == t.VmStatus.UP
        counted = wait_counting(qestate, src_id, 2)
        assert wait_counting(qestate, src_id, counted) > counted  # the guest ran on through both
        live = snaps.add(t.Snapshot(description="live", persist_memorystate=False))
        wait_snapshot(qestate, src_id, live.id)
        from_live = vms.add(t.Vm(name="q-cl-live", cluster=t.Cluster(name="Default"),
                                 snapshots=[t.Snapshot(id=live.id)]))
        made.append(from_live.id)
        live_path = disk_path(qestate, only_disk(qestate, from_live.id).id)
        assert read(live_path, MARK)[:1] == b"\xcd" and read(live_path, 0) == BOOT_SECTOR
    finally:
        for vm_id in [src_id, *made]:
            qestate.destroy_vm(vm_id)


def test_extend_disk_with_snapshots_grows_the_active_volume(qestate):
    vm_id, disk_id = counting_vm(qestate, "q-grow")
    disk = Disk(qestate, disk_id)
    try:
        snaps = qestate.vm(vm_id).snapshots_service()
        snap = snaps.add(t.Snapshot(description="s1", persist_memorystate=False))
        wait_snapshot(qestate, vm_id, snap.id)
        service = qestate.system.disks_service().disk_service(disk_id)
        service.update(t.Disk(provisioned_size=2 * MiB))
        wait_for(service.get, lambda d: d.status == t.DiskStatus.OK and d.provisioned_size == 2 * MiB, timeout=60,
                 what="the disk grown", describe=lambda d: (d.status, d.provisioned_size))
        layers = chain(disk.top())
        assert [Path(c["filename"]).name for c in layers][1] == disk_id
        assert layers[0]["virtual-size"] == 2 * MiB  # the top, which the guest sees
        assert layers[1]["virtual-size"] == 1 * MiB  # the snapshot's volume is left as it was

        qestate.start_on(vm_id, 0)
        wait_counting(qestate, vm_id, 2)
        service.update(t.Disk(provisioned_size=3 * MiB))  # live: through the hypervisor, on the running top
        wait_for(service.get, lambda d: d.status == t.DiskStatus.OK and d.provisioned_size == 3 * MiB, timeout=60,
                 what="the disk grown live", describe=lambda d: (d.status, d.provisioned_size))
        layers = chain(disk.top())
        assert layers[0]["virtual-size"] == 3 * MiB and layers[1]["virtual-size"] == 1 * MiB
    finally:
        qestate.destroy_vm(vm_id)


def test_memory_snapshot_preview_resumes_the_guest(qestate):
    vm_id, disk_id = counting_vm(qestate, "q-mem")
    try:
        qestate.start_on(vm_id, 0)
        wait_counting(qestate, vm_id, 300)
        snaps = qestate.vm(vm_id).snapshots_service()
        snap = snaps.add(t.Snapshot(description="with ram", persist_memorystate=True))
        assert wait_snapshot(qestate, vm_id, snap.id).persist_memorystate is True
        taken = counter(qestate, vm_id)
        qestate.vm(vm_id).stop()
        qestate.wait_vm_status(vm_id, t.VmStatus.DOWN)

        qestate.vm(vm_id).preview_snapshot(snapshot=t.Snapshot(id=snap.id), restore_memory=True)
        wait_snapshot(qestate, vm_id, snap.id, t.SnapshotStatus.IN_PREVIEW)
        qestate.start_on(vm_id, 0)
        resumed = counter(qestate, vm_id)
        assert 300 <= resumed <= taken + 50  # where it was when the RAM was saved, not from 0
        assert wait_counting(qestate, vm_id, resumed) > resumed  # and it goes on counting
        qestate.vm(vm_id).stop()
        qestate.wait_vm_status(vm_id, t.VmStatus.DOWN)

        qestate.vm(vm_id).undo_snapshot()
        wait_snapshot(qestate, vm_id, snap.id)
        qestate.vm(vm_id).preview_snapshot(snapshot=t.Snapshot(id=snap.id), restore_memory=False)
        wait_snapshot(qestate, vm_id, snap.id, t.SnapshotStatus.IN_PREVIEW)
        qestate.start_on(vm_id, 0)
        assert wait_counting(qestate, vm_id, 2) < 200  # without the RAM: a fresh boot, counting from zero
    finally:
        qestate.destroy_vm(vm_id)

