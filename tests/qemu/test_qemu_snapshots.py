"""Snapshots on QEMU lab hosts: taken offline and live (an external disk-only snapshot of the running guest),
removed live (an active block commit with its base named, then a pivot) and cold (qemu-img commit), previewed,
undone, committed and restored; each step's disk chain read with ``qemu-img info --backing-chain``."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import libvirt
import ovirtsdk4 as sdk
import ovirtsdk4.types as t
import pytest
from lxml import etree

from tests.hosts.helpers import wait_for
from tests.qemu.guest import BOOT_SECTOR
from tests.qemu.vms import counting_vm, disk_path, libvirt_uri, wait_counting

MARK = 4096  # an offset the counting guest never touches


def chain(path: str) -> list[dict]:
    out = subprocess.run(["qemu-img", "info", "-U", "--output=json", "--backing-chain", path], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)


def read(path: str, offset: int, size: int = 512) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        flat = f"{tmp}/flat.raw"
        subprocess.run(["qemu-img", "convert", "-U", "-O", "raw", path, flat], capture_output=True, check=True)
        with open(flat, "rb") as f:
            f.seek(offset)
            return f.read(size)


def write(path: str, offset: int, byte: int) -> None:
    fmt = chain(path)[0]["format"]
    subprocess.run(["qemu-io", "-f", fmt, "-c", f"write -P {byte} {offset} 512", path], capture_output=True,
                   check=True)


class Disk:
    def __init__(self, estate, disk_id: str):
        self.estate, self.id = estate, disk_id
        self.service = estate.system.disks_service().disk_service(disk_id)
        self.dir = Path(disk_path(estate, disk_id)).parent

    def top(self) -> str:
        """The disk's active volume (its ``image_id`` once it has more than one)."""
        image = self.service.get().image_id
        return str(self.dir / image) if image and (self.dir / image).exists() else str(self.dir / self.id)

    def chain_names(self) -> list[str]:
        return [Path(c["filename"]).name for c in chain(self.top())]


def snapshots_of(estate, vm_id: str):
    return estate.vm(vm_id).snapshots_service()


def wait_snapshot(estate, vm_id: str, snap_id: str, status=t.SnapshotStatus.OK) -> t.Snapshot:
    service = snapshots_of(estate, vm_id).snapshot_service(snap_id)
    return wait_for(service.get, lambda s: s.snapshot_status == status, timeout=60,
                    what=f"snapshot {status.value}", describe=lambda s: s.snapshot_status)


def wait_gone(estate, vm_id: str, snap_id: str) -> None:
    wait_for(lambda: [s.id for s in snapshots_of(estate, vm_id).list()], lambda ids: snap_id not in ids,
             timeout=60, what="the snapshot removed")


def running_source(estate, vm_id: str) -> str:
    host = estate.vm(vm_id).get().host.id
    conn = libvirt.open(libvirt_uri(estate, host))
    try:
        root = etree.fromstring(conn.lookupByUUIDString(vm_id).XMLDesc(0).encode())
    finally:
        conn.close()
    return root.find("devices/disk/source").get("file")


def test_snapshots_offline_live_preview_commit_undo_restore_remove(qestate):
    vm_id, disk_id = counting_vm(qestate, "q-snap")
    disk = Disk(qestate, disk_id)
    snaps = snapshots_of(qestate, vm_id)
    try:
        active = [s for s in snaps.list() if s.snapshot_type == t.SnapshotType.ACTIVE]
        assert len(active) == 1 and active[0].description == "Active VM"

        offline = snaps.add(t.Snapshot(description="offline", persist_memorystate=False))
        assert wait_snapshot(qestate, vm_id, offline.id).snapshot_type == t.SnapshotType.REGULAR
        names = disk.chain_names()
        assert len(names) == 2 and names[1] == disk_id and chain(disk.top())[0]["format"] == "qcow2"
        write(disk.top(), MARK, 0xAB)  # after the snapshot: only the top volume has it

        qestate.start_on(vm_id, 0)
        before = wait_counting(qestate, vm_id, 2)
        live = snaps.add(t.Snapshot(description="live", persist_memorystate=False))
        wait_snapshot(qestate, vm_id, live.id)
        names = disk.chain_names()
        assert len(names) == 3 and names[2] == disk_id
        assert Path(running_source(qestate, vm_id)).name == names[0]  # the guest writes into the new top
        assert wait_counting(qestate, vm_id, before) > before

        with pytest.raises(sdk.Error) as running:  # a preview needs the VM down
            qestate.vm(vm_id).preview_snapshot(snapshot=t.Snapshot(id=offline.id))
        assert running.value.code == 409

        snaps.snapshot_service(live.id).remove()  # live merge: the top commits into the live snapshot's volume
        wait_gone(qestate, vm_id, live.id)
        names_after = disk.chain_names()
        assert names_after == names[1:]
        assert Path(running_source(qestate, vm_id)).name == names_after[0]
        assert not (disk.dir / names[0]).exists()
        counted = wait_counting(qestate, vm_id, 2)
        assert wait_counting(qestate, vm_id, counted) > counted  # still running after the pivot

        qestate.vm(vm_id).stop()
        qestate.wait_vm_status(vm_id, t.VmStatus.DOWN)
        assert read(disk.top(), MARK)[:1] == b"\xab"

        qestate.vm(vm_id).preview_snapshot(snapshot=t.Snapshot(id=offline.id), restore_memory=False)
        assert wait_snapshot(qestate, vm_id, offline.id, t.SnapshotStatus.IN_PREVIEW)
        assert any(s.snapshot_type == t.SnapshotType.PREVIEW for s in snaps.list())
        assert read(disk.top(), MARK)[:1] == b"\x00" and read(disk.top(), 0) == BOOT_SECTOR
        qestate.vm(vm_id).undo_snapshot()
        wait_snapshot(qestate, vm_id, offline.id)
        assert read(disk.top(), MARK)[:1] == b"\xab" and disk.chain_names() == names_after

        qestate.vm(vm_id).preview_snapshot(snapshot=t.Snapshot(id=offline.id))
        wait_snapshot(qestate, vm_id, offline.id, t.SnapshotStatus.IN_PREVIEW)
        qestate.vm(vm_id).commit_snapshot()
        wait_snapshot(qestate, vm_id, offline.id)
        assert read(disk.top(), MARK)[:1] == b"\x00"
        assert not (disk.dir / names_after[0]).exists()  # the previous top went with the commit
        assert not any(s.snapshot_type == t.SnapshotType.PREVIEW for s in snaps.list())

        write(disk.top(), MARK, 0xCD)
        snaps.snapshot_service(offline.id).restore()
        wait_snapshot(qestate, vm_id, offline.id)
        assert read(disk.top(), MARK)[:1] == b"\x00" and len(disk.chain_names()) == 2

        snaps.snapshot_service(offline.id).remove()  # cold merge into the raw base volume
        wait_gone(qestate, vm_id, offline.id)
        assert disk.chain_names() == [disk_id] and read(disk.top(), 0) == BOOT_SECTOR
        assert [s.snapshot_type for s in snaps.list()] == [t.SnapshotType.ACTIVE]
        qestate.start_on(vm_id, 1)  # and the guest boots from the merged disk
        wait_counting(qestate, vm_id, 2)
    finally:
        qestate.destroy_vm(vm_id)
