"""Image management through the collection, as plays on lab hosts (libvirt's test driver; the VMs stay down, so the
engine's image work runs with qemu-img on real volumes): vdc.infra.template makes a template and a version of it;
vdc.infra.vm makes a full copy of that version (clone, template_version), a VM following the latest version, and a
copy of another VM at one of its snapshots (snapshot_vm, snapshot_name); vdc.infra.disk moves a disk by a changed
storage_domain and copies one (copy_from). Each is predicted under --check without being made, then made, then a
second run changes nothing. The estate takes the same in its templates, vms and disks sections."""

from __future__ import annotations

from pathlib import Path

import ovirtsdk4.types as t
import pytest
import yaml

from tests.hosts.helpers import MiB, connect, ensure_estate, wait_for
from tests.integration.helpers import APPLY_PLAY, playbook_runner

BLANK = "00000000-0000-0000-0000-000000000000"


def task_play(module: str, args: dict, ignore_errors: bool = False) -> str:
    """A play running one task of ``module`` with ``args`` and writing its result to ``out``."""
    return yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": False,
        "module_defaults": {"group/vdc.infra.engine": {"auth": {
            "url": "{{ engine_url }}", "username": "admin@internal", "password": "{{ engine_password }}"}}},
        "tasks": [{"name": "the task", f"vdc.infra.{module}": args, "register": "result",
                   "ignore_errors": ignore_errors},
                  {"ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": "{{ out }}"},
                   "check_mode": False, "changed_when": False}]}], sort_keys=False)


@pytest.fixture(scope="module")
def lab(lab_engine, tmp_path_factory):
    conn = connect(lab_engine)
    storage = str(tmp_path_factory.mktemp("nfs"))
    est = ensure_estate(lab_engine, conn, storage)
    second = ensure_estate(lab_engine, conn, storage, sd_name="labnfs2")
    vms = conn.system_service().vms_service()
    vm = vms.add(t.Vm(name="img-src", cluster=t.Cluster(name="Default"), template=t.Template(name="Blank"),
                      memory=64 * MiB, memory_policy=t.MemoryPolicy(guaranteed=64 * MiB, max=64 * MiB)))
    att = vms.vm_service(vm.id).disk_attachments_service().add(t.DiskAttachment(
        disk=t.Disk(name="img-src-disk", format=t.DiskFormat.COW, provisioned_size=1 * MiB,
                    storage_domains=[t.StorageDomain(id=est.sd_id)]), interface=t.DiskInterface.VIRTIO,
        bootable=True, active=True))
    disk = conn.system_service().disks_service().disk_service(att.disk.id)
    wait_for(disk.get, lambda d: d.status == t.DiskStatus.OK, what="the disk ok")
    try:
        yield conn, vm.id, est.sd_id, second.sd_id
    finally:
        conn.close()


def _templates(conn, name: str) -> list[t.Template]:
    return sorted(conn.system_service().templates_service().list(search=f"name={name}"),
                  key=lambda x: x.version.version_number)


def _vm(conn, name: str) -> t.Vm | None:
    found = conn.system_service().vms_service().list(search=f"name={name}")
    return found[0] if found else None


def _disk(conn, name: str) -> t.Disk | None:
    found = [d for d in conn.system_service().disks_service().list() if d.alias == name]
    assert len(found) <= 1
    return found[0] if found else None


def test_templates_versions_clones_snapshot_copies_and_disk_moves(lab, lab_engine, tmp_path):
    conn, src_id, sd1, sd2 = lab
    run = playbook_runner(lab_engine, tmp_path)

    def play(module: str, args: dict, *flags: str) -> tuple[dict, dict]:
        name = f"p{len(list(tmp_path.glob('p*.yml')))}.yml"
        (tmp_path / name).write_text(task_play(module, args))
        out, stats, log = run(name, {}, *flags)
        assert stats["failed"] == 0, log
        return out, stats

    def converges(module: str, args: dict, check: bool = True) -> dict:
        """Predicted under --check (and nothing made), made, then unchanged."""
        if check:
            out, stats = play(module, args, "--check", "--diff")
            assert stats["changed"] == 1
        out, stats = play(module, args)
        assert stats["changed"] == 1, out
        again, stats = play(module, args)
        assert stats["changed"] == 0, again["plan"]
        return out

    base = {"name": "img-tpl", "vm": "img-src"}
    converges("template", base)
    [v1] = _templates(conn, "img-tpl")
    assert v1.version.version_number == 1 and v1.status == t.TemplateStatus.OK

    version = {**base, "version_name": "second", "description": "the second version"}
    out, stats = play("template", version, "--check", "--diff")
    assert stats["changed"] == 1 and len(_templates(conn, "img-tpl")) == 1
    assert out["diff"][0]["after"]["version_name"] == "second"
    converges("template", version, check=False)
    v1, v2 = _templates(conn, "img-tpl")
    assert v2.version.version_number == 2 and v2.version.version_name == "second"
    assert v2.version.base_template.id == v1.id
    _, stats = play("template", base)  # the base is still found, not mistaken for its version
    assert stats["changed"] == 0
    _, stats = play("template", {"name": "img-tpl", "version_number": 2, "description": "renamed"})
    assert stats["changed"] == 1 and _templates(conn, "img-tpl")[1].description == "renamed"

    full = {"name": "img-full", "cluster": "Default", "template": "img-tpl", "template_version": 2, "clone": True}
    converges("vm", full)
    got = _vm(conn, "img-full")
    assert got.template.id == v2.id
    latest = {"name": "img-latest", "cluster": "Default", "template": "img-tpl", "use_latest_template_version": True}
    converges("vm", latest, check=False)
    got = _vm(conn, "img-latest")
    assert got.template.id == v2.id and got.use_latest_template_version is True
    oldest = {"name": "img-base", "cluster": "Default", "template": "img-tpl", "template_version": 1}
    converges("vm", oldest, check=False)
    assert _vm(conn, "img-base").template.id == v1.id

    snaps = conn.system_service().vms_service().vm_service(src_id).snapshots_service()
    snap = snaps.add(t.Snapshot(description="snap-a", persist_memorystate=False))
    wait_for(lambda: snaps.snapshot_service(snap.id).get(), lambda s: s.snapshot_status == t.SnapshotStatus.OK,
             what="the snapshot ok")
    copy = {"name": "img-snapcopy", "cluster": "Default", "snapshot_vm": "img-src", "snapshot_name": "snap-a"}
    converges("vm", copy)
    got = wait_for(lambda: _vm(conn, "img-snapcopy"), lambda v: v.status == t.VmStatus.DOWN, what="the copy down")
    assert got.memory == 64 * MiB and got.template.id == BLANK
    bad = {**copy, "name": "img-nosnap", "snapshot_name": "no such"}
    (tmp_path / "bad.yml").write_text(task_play("vm", bad, ignore_errors=True))
    out, _stats, _log = run("bad.yml", {})
    assert out["failed"] and "snapshot_name" in out["msg"] and _vm(conn, "img-nosnap") is None

    floating = {"name": "img-float", "size": "1MiB", "storage_domain": "labnfs"}
    converges("disk", floating, check=False)
    moved = {**floating, "storage_domain": "labnfs2"}
    out, stats = play("disk", moved, "--check", "--diff")
    assert stats["changed"] == 1
    assert out["diff"][0]["before"]["storage_domain"] == "labnfs" and \
        out["diff"][0]["after"]["storage_domain"] == "labnfs2"
    assert _disk(conn, "img-float").storage_domains[0].id == sd1
    converges("disk", moved, check=False)
    got = _disk(conn, "img-float")
    assert got.storage_domains[0].id == sd2 and got.status == t.DiskStatus.OK

    copied = {"name": "img-float-copy", "copy_from": "img-float", "storage_domain": "labnfs"}
    converges("disk", copied)
    got = _disk(conn, "img-float-copy")
    assert got.storage_domains[0].id == sd1 and got.status == t.DiskStatus.OK and got.provisioned_size == MiB


def test_estate_templates_vms_and_disks(lab, lab_engine, tmp_path):
    conn, _src_id, sd1, sd2 = lab
    run = playbook_runner(lab_engine, tmp_path)
    (tmp_path / "apply.yml").write_text(APPLY_PLAY)
    doc = {
        "estate": "images",
        "templates": [{"name": "est-tpl", "vm": "img-src"},
                      {"name": "est-tpl", "vm": "img-src", "version_name": "v2"}],
        "vms": [{"name": "est-vm", "cluster": "Default", "template": "est-tpl", "template_version": 2,
                 "clone": True}],
        "disks": [{"name": "est-disk", "size": "1MiB", "storage_domain": "labnfs"}],
    }

    def apply(*flags: str) -> tuple[dict, dict, str]:
        (tmp_path / "estate.yml").write_text(yaml.safe_dump(doc))
        return run("apply.yml", {"estate": str(Path(tmp_path / "estate.yml"))}, *flags)

    out, stats, log = apply()
    assert stats["failed"] == 0 and stats["changed"] == 1, log
    v1, v2 = _templates(conn, "est-tpl")
    assert (v1.version.version_number, v2.version.version_number, v2.version.version_name) == (1, 2, "v2")
    assert _vm(conn, "est-vm").template.id == v2.id
    assert _disk(conn, "est-disk").storage_domains[0].id == sd1
    out, stats, log = apply()
    assert stats["failed"] == 0 and stats["changed"] == 0, out.get("plan")

    doc["disks"][0]["storage_domain"] = "labnfs2"
    out, stats, log = apply("--check")
    assert stats["changed"] == 1 and _disk(conn, "est-disk").storage_domains[0].id == sd1, log
    out, stats, log = apply()
    assert stats["failed"] == 0 and stats["changed"] == 1, log
    assert _disk(conn, "est-disk").storage_domains[0].id == sd2
    out, stats, log = apply()
    assert stats["failed"] == 0 and stats["changed"] == 0, out.get("plan")
