"""VMs on QEMU lab hosts: the counting guest on a raw disk of its own, and where its pieces really are."""

from __future__ import annotations

import ovirtsdk4.types as t

from tests.hosts.helpers import Estate, MiB, wait_for
from tests.qemu.guest import read_counter, write_boot_sector


def disk_path(estate: Estate, disk_id: str) -> str:
    sd = estate.system.storage_domains_service().storage_domain_service(estate.sd_id).get()
    return f"{sd.storage.path}/{disk_id}"


def libvirt_uri(estate: Estate, host_id: str) -> str:
    return estate.live.engine.lab.daemons[estate.index_of(host_id)].uri


def counting_vm(estate: Estate, name: str, memory: int = 64 * MiB, **vm_fields) -> tuple[str, str]:
    """A VM that boots the counting guest from a 1 MiB raw disk; returns (vm id, disk id)."""
    vms = estate.system.vms_service()
    vm = vms.add(t.Vm(name=name, cluster=t.Cluster(name="Default"), template=t.Template(name="Blank"),
                      memory=memory, memory_policy=t.MemoryPolicy(guaranteed=memory, max=memory), **vm_fields))
    attachments = vms.vm_service(vm.id).disk_attachments_service()
    attachment = attachments.add(t.DiskAttachment(
        disk=t.Disk(name=f"{name}-boot", format=t.DiskFormat.RAW, sparse=True, provisioned_size=1 * MiB,
                    storage_domains=[t.StorageDomain(id=estate.sd_id)]),
        interface=t.DiskInterface.VIRTIO, bootable=True, active=True))
    disks = estate.system.disks_service()
    wait_for(lambda: disks.disk_service(attachment.disk.id).get(), lambda d: d.status == t.DiskStatus.OK,
             what=f"disk of {name} ok", describe=lambda d: d.status)
    write_boot_sector(disk_path(estate, attachment.disk.id))
    return vm.id, attachment.disk.id


def counter(estate: Estate, vm_id: str) -> int:
    host_id = estate.vm(vm_id).get().host.id
    return read_counter(libvirt_uri(estate, host_id), vm_id)


def wait_counting(estate: Estate, vm_id: str, above: int = 0, timeout: float = 90.0) -> int:
    """Wait until the guest has counted past ``above``. The BIOS takes about 3 s to boot it on a quiet machine,
    and far longer on a loaded one: under nested KVM every port access it makes is a slow exit."""
    return wait_for(lambda: counter(estate, vm_id), lambda n: n > above, timeout=timeout,
                    what=f"the guest of {vm_id} counting past {above}")


def qemu_pid(vm_id: str) -> int | None:
    """The pid of the qemu process running the VM on this machine (any lab host), if one does."""
    import subprocess

    out = subprocess.run(["pgrep", "-f", f"qemu-system.*-uuid {vm_id}"], capture_output=True, text=True).stdout
    pids = [int(p) for p in out.split()]
    assert len(pids) <= 1, f"{len(pids)} qemu processes run VM {vm_id}"
    return pids[0] if pids else None


def events_matching(estate: Estate, since: int, text: str) -> list[t.Event]:
    from tests.hosts.helpers import events_since

    return [e for e in events_since(estate.conn, since) if text in e.description]
