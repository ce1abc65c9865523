"""Growing a disk on QEMU lab hosts: live through the hypervisor while its VM runs (the guest's block device
grows), with qemu-img while it is down; never shrinking."""

from __future__ import annotations

import json
import subprocess

import libvirt
import ovirtsdk4 as sdk
import ovirtsdk4.types as t
import pytest

from tests.hosts.helpers import MiB, last_event_index, wait_for
from tests.qemu.vms import counting_vm, disk_path, events_matching, libvirt_uri, wait_counting


def virtual_size(path: str) -> int:
    info = subprocess.run(["qemu-img", "info", "-U", "--output=json", path], capture_output=True, text=True,
                          check=True).stdout
    return json.loads(info)["virtual-size"]


def wait_disk_ok(estate, disk_id: str) -> t.Disk:
    service = estate.system.disks_service().disk_service(disk_id)
    return wait_for(service.get, lambda d: d.status == t.DiskStatus.OK, what="the disk ok", describe=lambda d: d.status)


def test_disk_grows_live_and_offline(qestate):
    vm_id, disk_id = counting_vm(qestate, "q-extend")
    path = disk_path(qestate, disk_id)
    attachment = qestate.vm(vm_id).disk_attachments_service().attachment_service(disk_id)
    disk = qestate.system.disks_service().disk_service(disk_id)
    try:
        vm = qestate.start_on(vm_id, 0)
        before = wait_counting(qestate, vm_id, 5)
        mark = last_event_index(qestate.conn)
        attachment.update(t.DiskAttachment(disk=t.Disk(provisioned_size=4 * MiB)))
        grown = wait_disk_ok(qestate, disk_id)
        assert grown.provisioned_size == 4 * MiB
        assert virtual_size(path) == 4 * MiB
        conn = libvirt.open(libvirt_uri(qestate, vm.host.id))
        try:  # the running guest's block device has the new size
            assert conn.lookupByUUIDString(vm_id).blockInfo("vda")[0] == 4 * MiB
        finally:
            conn.close()
        assert wait_counting(qestate, vm_id, before) > before  # the guest ran on throughout
        done = wait_for(lambda: events_matching(qestate, mark, "successfully updated"), bool, what="the event")
        assert "while its VM runs" in done[0].description

        with pytest.raises(sdk.Error) as shrink:
            disk.update(t.Disk(provisioned_size=2 * MiB))
        assert "disk.provisioned_size" in str(shrink.value) and shrink.value.code in (400, 409)
        assert virtual_size(path) == 4 * MiB

        qestate.vm(vm_id).stop()
        qestate.wait_vm_status(vm_id, t.VmStatus.DOWN)
        disk.update(t.Disk(provisioned_size=6 * MiB))  # offline: qemu-img resize on a host serving the domain
        assert wait_disk_ok(qestate, disk_id).provisioned_size == 6 * MiB
        assert virtual_size(path) == 6 * MiB
        qestate.start_on(vm_id, 1)  # and the guest still boots from it
        wait_counting(qestate, vm_id, 2)
    finally:
        qestate.destroy_vm(vm_id)


def test_failed_growth_keeps_the_old_size(qestate):
    """The hypervisor refuses to grow a read-only disk of a running VM: the disk is ok again, at its old size,
    with an error event."""
    vm_id, disk_id = counting_vm(qestate, "q-extend-ro")
    attachment = qestate.vm(vm_id).disk_attachments_service().attachment_service(disk_id)
    try:
        attachment.update(t.DiskAttachment(read_only=True))
        qestate.start_on(vm_id, 0)
        mark = last_event_index(qestate.conn)
        attachment.update(t.DiskAttachment(disk=t.Disk(provisioned_size=2 * MiB)))
        events = wait_for(lambda: events_matching(qestate, mark, "Failed to update the size"), bool,
                          what="the failure event")
        assert events[0].severity == t.LogSeverity.ERROR and "could not resize" in events[0].description
        assert wait_disk_ok(qestate, disk_id).provisioned_size == 1 * MiB
        assert virtual_size(disk_path(qestate, disk_id)) == 1 * MiB
        assert qestate.vm(vm_id).get().status == t.VmStatus.UP
    finally:
        qestate.destroy_vm(vm_id)


def test_add_with_expect_201_created_answers_once_the_volume_exists(qestate):
    """``Expect: 201-created`` (oVirt's blocking add): the answer comes when the volume is made on a host, so
    the disk is ``ok`` in the answer itself and its image is on the domain; the SDK passes the header through."""
    disks = qestate.system.disks_service()
    disk = disks.add(t.Disk(name="q-blocking", format=t.DiskFormat.COW, sparse=True, provisioned_size=3 * MiB,
                            storage_domains=[t.StorageDomain(id=qestate.sd_id)]),
                     headers={"Expect": "201-created"})
    try:
        assert disk.status == t.DiskStatus.OK
        assert virtual_size(disk_path(qestate, disk.id)) == 3 * MiB
        vm_id = qestate.system.vms_service().add(t.Vm(name="q-blocking-vm", cluster=t.Cluster(name="Default"),
                                                      template=t.Template(name="Blank"))).id
        try:  # a new disk through a VM's attachments: the answer's disk is ready too
            attachment = qestate.vm(vm_id).disk_attachments_service().add(t.DiskAttachment(
                disk=t.Disk(name="q-blocking-boot", format=t.DiskFormat.RAW, provisioned_size=1 * MiB,
                            storage_domains=[t.StorageDomain(id=qestate.sd_id)]),
                interface=t.DiskInterface.VIRTIO, bootable=True, active=True),
                headers={"X-Ovirt-Expect": "201-created"})
            assert disks.disk_service(attachment.disk.id).get().status == t.DiskStatus.OK
            assert virtual_size(disk_path(qestate, attachment.disk.id)) == 1 * MiB
        finally:
            qestate.system.vms_service().vm_service(vm_id).remove()
    finally:
        disks.disk_service(disk.id).remove()
