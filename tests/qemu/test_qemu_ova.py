"""OVA export and import on QEMU lab hosts: the counting guest's VM exported to a directory on a host (a tar
with the OVF first, then its disk as qcow2), the OVF read as oVirt writes it, the OVA imported back under
another name, and the imported VM boots and counts. Bad paths, a file that is no OVA and a running VM are
refused with faults that name the problem."""

from __future__ import annotations

import subprocess
import tarfile

import ovirtsdk4 as sdk
import ovirtsdk4.types as t
import pytest
from lxml import etree

from tests.hosts.helpers import MiB, events_since, last_event_index, wait_for
from tests.qemu.test_qemu_disk_moves import same_contents
from tests.qemu.vms import counting_vm, disk_path, wait_counting

NS = {"ovf": "http://schemas.dmtf.org/ovf/envelope/1",
      "rasd": "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"}


def fault(call) -> sdk.Error:
    with pytest.raises(sdk.Error) as info:
        call()
    assert info.value.code and 400 <= info.value.code < 500, info.value
    return info.value


def test_ova_exported_and_imported_back(qestate, tmp_path):
    system = qestate.system
    vms = system.vms_service()
    vm_id, disk_id = counting_vm(qestate, "q-ova")
    vms.vm_service(vm_id).nics_service().add(t.Nic(name="nic1", interface=t.NicInterface.E1000, plugged=False))
    host = qestate.host(0)
    out = tmp_path / "out"
    out.mkdir()
    imported_id = None
    try:
        service = vms.vm_service(vm_id)
        # refused, each with the problem named
        assert "absolute" in str(fault(lambda: service.export_to_path_on_host(
            host=t.Host(name=host.name), directory="relative/dir")))
        assert "does not exist" in str(fault(lambda: service.export_to_path_on_host(
            host=t.Host(name=host.name), directory=str(tmp_path / "missing"))))
        qestate.start_on(vm_id, 0)
        assert "up" in str(fault(lambda: service.export_to_path_on_host(
            host=t.Host(name=host.name), directory=str(out))))
        qestate.vm(vm_id).stop()
        qestate.wait_vm_status(vm_id, t.VmStatus.DOWN)

        since = last_event_index(qestate.conn)
        service.export_to_path_on_host(host=t.Host(name=host.name), directory=str(out), filename="counting.ova")
        ova = out / "counting.ova"
        wait_for(lambda: [e.description for e in events_since(qestate.conn, since)],
                 lambda ds: any("exported successfully" in d for d in ds), timeout=60, what="the export event")
        assert ova.exists() and not list(out.glob(".*")), "only the finished OVA is left"
        with tarfile.open(ova) as tar:
            members = tar.getmembers()
            assert members[0].name == "vm.ovf"
            root = etree.fromstring(tar.extractfile(members[0]).read())
            image = members[1].name
            tar.extract(members[1], tmp_path, filter="data")
        assert len(members) == 2
        packed = tmp_path / image
        info = subprocess.run(["qemu-img", "info", "--output=json", str(packed)], capture_output=True, text=True,
                              check=True).stdout
        assert '"format": "qcow2"' in info
        assert same_contents(disk_path(qestate, disk_id), str(packed))

        assert root.tag == f"{{{NS['ovf']}}}Envelope"
        file_el = root.find("References/File", NS)
        assert file_el.get(f"{{{NS['ovf']}}}href") == image
        assert int(file_el.get(f"{{{NS['ovf']}}}size")) == members[1].size
        disk_el = root.find("DiskSection/Disk", NS)
        assert disk_el.get(f"{{{NS['ovf']}}}capacityAllocationUnits") == "byte * 2^30"
        assert disk_el.get(f"{{{NS['ovf']}}}capacity") == "1"  # 1 MiB, in whole GiB as oVirt writes it
        assert disk_el.get(f"{{{NS['ovf']}}}fileRef") == image
        assert disk_el.get(f"{{{NS['ovf']}}}volume-format") == "RAW"
        assert disk_el.get(f"{{{NS['ovf']}}}boot") == "true"
        system_el = root.find("VirtualSystem", NS)
        assert system_el.get(f"{{{NS['ovf']}}}id") == vm_id
        assert system_el.findtext("Name") == "q-ova"
        items = {i.findtext("rasd:ResourceType", namespaces=NS): i
                 for i in system_el.iterfind("VirtualHardwareSection/Item", NS)}
        assert set(items) >= {"3", "4", "10", "17"}
        assert items["4"].findtext("rasd:VirtualQuantity", namespaces=NS) == "64"
        assert items["10"].findtext("rasd:Name", namespaces=NS) == "nic1"
        assert items["10"].findtext("rasd:ResourceSubType", namespaces=NS) == "2"  # e1000

        imports = system.external_vm_imports_service()
        common = dict(host=t.Host(name=host.name), cluster=t.Cluster(name="Default"),
                      storage_domain=t.StorageDomain(id=qestate.sd_id), provider=t.ExternalVmProviderType.KVM)
        assert "does not exist" in str(fault(lambda: imports.add(t.ExternalVmImport(
            name="q-ova-bad", url=f"ova://{tmp_path}/nothing.ova", **common))))
        not_ova = tmp_path / "not.ova"
        not_ova.write_bytes(b"plain text, no tar" * 100)
        assert "not an OVA" in str(fault(lambda: imports.add(t.ExternalVmImport(
            name="q-ova-bad", url=f"ova://{not_ova}", **common))))
        assert not vms.list(search="name=q-ova-bad")

        imports.add(t.ExternalVmImport(name="q-ova-back", url=f"ova://{ova}", **common))
        found = vms.list(search="name=q-ova-back")
        assert len(found) == 1
        imported_id = found[0].id
        vm = qestate.wait_vm(imported_id, lambda v: v.status == t.VmStatus.DOWN, timeout=60, what="imported")
        assert vm.memory == 64 * MiB
        atts = vms.vm_service(imported_id).disk_attachments_service().list()
        assert len(atts) == 1 and atts[0].bootable
        new_disk = system.disks_service().disk_service(atts[0].disk.id).get()
        assert new_disk.status == t.DiskStatus.OK and new_disk.provisioned_size == 1 * MiB
        assert new_disk.format == t.DiskFormat.RAW and new_disk.storage_domains[0].id == qestate.sd_id
        assert same_contents(disk_path(qestate, disk_id), disk_path(qestate, new_disk.id))
        nics = vms.vm_service(imported_id).nics_service().list()
        source_mac = vms.vm_service(vm_id).nics_service().list()[0].mac.address
        assert [(n.name, n.interface) for n in nics] == [("nic1", t.NicInterface.E1000)]
        assert nics[0].mac.address != source_mac  # the exported VM still holds its address

        qestate.start_on(imported_id, 1)
        wait_counting(qestate, imported_id, 2)
    finally:
        qestate.destroy_vm(vm_id)
        if imported_id:
            qestate.destroy_vm(imported_id)
