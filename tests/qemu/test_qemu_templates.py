"""Templates with data on QEMU lab hosts: a template copies its VM's volume; a VM made from it is thin (a qcow2
overlay on the template's volume) or, with ``clone=true``, a full copy; both boot the counting guest the
template's volume holds. Template versions share the name and count up."""

from __future__ import annotations

import json
import subprocess
import tempfile

import ovirtsdk4 as sdk
import ovirtsdk4.types as t
import pytest

from tests.hosts.helpers import wait_for
from tests.qemu.guest import BOOT_SECTOR
from tests.qemu.vms import counting_vm, disk_path, wait_counting


def info(path: str, chain: bool = False):
    args = ["qemu-img", "info", "-U", "--output=json"] + (["--backing-chain"] if chain else []) + [path]
    return json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)


def same_contents(a: str, b: str) -> bool:
    return subprocess.run(["qemu-img", "compare", "-U", a, b], capture_output=True).returncode == 0


def first_sector(path: str) -> bytes:
    """The first sector the guest sees through the whole chain."""
    with tempfile.TemporaryDirectory() as tmp:
        flat = f"{tmp}/flat.raw"
        subprocess.run(["qemu-img", "convert", "-U", "-O", "raw", path, flat], capture_output=True, check=True)
        with open(flat, "rb") as f:
            return f.read(512)


def wait_template_ok(estate, template_id: str) -> t.Template:
    service = estate.system.templates_service().template_service(template_id)
    return wait_for(service.get, lambda x: x.status == t.TemplateStatus.OK, timeout=60, what="the template ok",
                    describe=lambda x: x.status)


def vm_disk(estate, vm_id: str) -> t.Disk:
    attachment = estate.vm(vm_id).disk_attachments_service().list()[0]
    service = estate.system.disks_service().disk_service(attachment.disk.id)
    return wait_for(service.get, lambda d: d.status == t.DiskStatus.OK, timeout=60, what="the VM's disk ok",
                    describe=lambda d: d.status)


def template_disk(estate, template_id: str) -> t.Disk:
    service = estate.system.templates_service().template_service(template_id)
    attachment = service.disk_attachments_service().list()[0]
    return estate.system.disks_service().disk_service(attachment.disk.id).get()


def test_template_thin_and_cloned_vms_boot_its_data(qestate):
    vms = qestate.system.vms_service()
    templates = qestate.system.templates_service()
    src_id, src_disk = counting_vm(qestate, "q-tpl-src")
    made: list[str] = []
    tpl_ids: list[str] = []
    try:
        tpl = templates.add(t.Template(name="q-tpl", vm=t.Vm(id=src_id)))
        tpl_ids.append(tpl.id)
        assert wait_template_ok(qestate, tpl.id).version.version_number == 1
        tdisk = template_disk(qestate, tpl.id)
        tpath = disk_path(qestate, tdisk.id)
        assert tdisk.status == t.DiskStatus.OK and tdisk.format == t.DiskFormat.RAW
        assert same_contents(disk_path(qestate, src_disk), tpath)
        assert first_sector(tpath) == BOOT_SECTOR and "backing-filename" not in info(tpath)

        thin = vms.add(t.Vm(name="q-thin", cluster=t.Cluster(name="Default"), template=t.Template(id=tpl.id)))
        made.append(thin.id)
        clone = vms.add(t.Vm(name="q-clone", cluster=t.Cluster(name="Default"), template=t.Template(id=tpl.id)),
                        clone=True)
        made.append(clone.id)
        thin_disk, clone_disk = vm_disk(qestate, thin.id), vm_disk(qestate, clone.id)
        thin_path, clone_path = disk_path(qestate, thin_disk.id), disk_path(qestate, clone_disk.id)
        chain = info(thin_path, chain=True)
        assert [c["format"] for c in chain] == ["qcow2", "raw"]
        assert chain[0]["backing-filename"] == tdisk.id  # by name, inside the domain
        assert thin_disk.format == t.DiskFormat.COW and thin_disk.sparse
        assert "backing-filename" not in info(clone_path) and clone_disk.format == t.DiskFormat.RAW
        assert same_contents(thin_path, tpath) and same_contents(clone_path, tpath)

        # the template's disk is shared: neither it nor the template can go while the thin VM uses it
        with pytest.raises(sdk.Error) as held:
            templates.template_service(tpl.id).disk_attachments_service().attachment_service(tdisk.id).remove(
                detach_only=False)
        assert held.value.code == 409 and "thin disks rest on it" in str(held.value)
        with pytest.raises(sdk.Error) as based:
            templates.template_service(tpl.id).remove()
        assert based.value.code == 409

        for vm_id in (thin.id, clone.id):  # both boot the counting guest from their own disk
            qestate.start_on(vm_id, 0 if vm_id == thin.id else 1)
            wait_counting(qestate, vm_id, 2)
        assert first_sector(tpath) == BOOT_SECTOR  # the thin VM writes into its overlay, never the template

        v2 = templates.add(t.Template(name="q-tpl", vm=t.Vm(id=src_id), version=t.TemplateVersion(
            base_template=t.Template(id=tpl.id), version_name="second")))
        tpl_ids.append(v2.id)
        v2 = wait_template_ok(qestate, v2.id)
        assert (v2.name, v2.version.version_number, v2.version.version_name) == ("q-tpl", 2, "second")
        assert v2.version.base_template.id == tpl.id
        latest = vms.add(t.Vm(name="q-latest", cluster=t.Cluster(name="Default"), template=t.Template(name="q-tpl"),
                              use_latest_template_version=True))
        made.append(latest.id)
        assert latest.template.id == v2.id
        based_on_base = vms.add(t.Vm(name="q-base", cluster=t.Cluster(name="Default"),
                                     template=t.Template(name="q-tpl")))
        made.append(based_on_base.id)
        assert based_on_base.template.id == tpl.id
        with pytest.raises(sdk.Error) as versions:  # a base template with versions stays
            for vm_id in list(made):
                qestate.destroy_vm(vm_id)
                made.remove(vm_id)
            templates.template_service(tpl.id).remove()
        assert versions.value.code == 409 and "sub-versions" in str(versions.value)
    finally:
        for vm_id in made:
            qestate.destroy_vm(vm_id)
        for tid in reversed(tpl_ids):
            try:
                templates.template_service(tid).remove()
            except sdk.NotFoundError:
                pass
        qestate.destroy_vm(src_id)
