"""Benchmark image management on QEMU lab hosts: a VM from a 1 GiB template, thin versus cloned, and a live
snapshot taken and removed on a running VM.

Run with ``.venv/bin/python benchmarks/images.py``. An engine with two QEMU lab hosts and an NFS-style data
domain on a local directory; the template's disk is 1 GiB of raw data (every byte written, so a clone really
copies 1 GiB). Reported (ms, median and max of the runs): the time from ``POST /vms`` to the VM's disk ``ok``
for a thin VM (a qcow2 overlay) and a cloned one (``clone=true``, qemu-img convert), and, on the running
counting guest, from ``POST /vms/{id}/snapshots`` to the snapshot ``ok`` (an external disk-only snapshot) and
from its ``DELETE`` to its removal (an active block commit and pivot).

Writes ``benchmarks/images_results.json``. Not a pytest module.
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ovirtsdk4.types as t  # noqa: E402

from tests import live  # noqa: E402
from tests.hosts.helpers import GiB, connect, ensure_estate, wait_for  # noqa: E402
from tests.qemu.vms import counting_vm, disk_path, wait_counting  # noqa: E402

RUNS = 3
SNAPSHOT_RUNS = 5


def ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)


def summary(values: list[float]) -> dict:
    return {"median_ms": round(statistics.median(values), 1), "max_ms": max(values), "runs": values}


def disk_ok(estate, vm_id: str) -> None:
    attachment = wait_for(lambda: estate.vm(vm_id).disk_attachments_service().list(), bool, what="an attachment")[0]
    service = estate.system.disks_service().disk_service(attachment.disk.id)
    wait_for(service.get, lambda d: d.status == t.DiskStatus.OK, timeout=600, interval=0.02, what="the disk ok")


def main() -> int:
    results: dict = {"machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()}}
    with tempfile.TemporaryDirectory() as tmp:
        server = live.start(Path(tmp) / "engine", lab_hosts=2, lab_hypervisor="qemu",
                            config={"monitor_interval": 0.5, "non_responsive_timeout": 3.0})
        conn = connect(server)
        made: list[str] = []
        try:
            estate = ensure_estate(server, conn, str(Path(tmp) / "nfs"))
            vms, templates = estate.system.vms_service(), estate.system.templates_service()
            src = vms.add(t.Vm(name="bench-src", cluster=t.Cluster(name="Default"), template=t.Template(name="Blank")))
            made.append(src.id)
            att = vms.vm_service(src.id).disk_attachments_service().add(t.DiskAttachment(
                disk=t.Disk(name="bench-src-disk", format=t.DiskFormat.RAW, sparse=True, provisioned_size=GiB,
                            storage_domains=[t.StorageDomain(id=estate.sd_id)]),
                interface=t.DiskInterface.VIRTIO, bootable=True, active=True))
            disk_ok(estate, src.id)
            subprocess.run(["qemu-io", "-f", "raw", "-c", "write -P 0x5a 0 1G", disk_path(estate, att.disk.id)],
                           check=True, capture_output=True)
            started = time.perf_counter()
            tpl = templates.add(t.Template(name="bench-tpl", vm=t.Vm(id=src.id)))
            wait_for(templates.template_service(tpl.id).get, lambda x: x.status == t.TemplateStatus.OK, timeout=600,
                     what="the template ok")
            results["template_from_1gib_vm_ms"] = ms(started)
            for kind, clone in (("thin", False), ("clone", True)):
                times = []
                for i in range(RUNS):
                    started = time.perf_counter()
                    vm = vms.add(t.Vm(name=f"bench-{kind}-{i}", cluster=t.Cluster(name="Default"),
                                      template=t.Template(id=tpl.id)), clone=clone)
                    disk_ok(estate, vm.id)
                    times.append(ms(started))
                    made.append(vm.id)
                results[f"vm_from_1gib_template_{kind}"] = summary(times)

            vm_id, _disk = counting_vm(estate, "bench-snap")
            made.append(vm_id)
            estate.start_on(vm_id, 0)
            wait_counting(estate, vm_id, 2)
            snaps = estate.vm(vm_id).snapshots_service()
            create, remove = [], []
            for i in range(SNAPSHOT_RUNS):
                started = time.perf_counter()
                snap = snaps.add(t.Snapshot(description=f"bench-{i}", persist_memorystate=False))
                wait_for(snaps.snapshot_service(snap.id).get, lambda s: s.snapshot_status == t.SnapshotStatus.OK,
                         timeout=120, interval=0.02, what="the snapshot ok")
                create.append(ms(started))
                started = time.perf_counter()
                snaps.snapshot_service(snap.id).remove()
                wait_for(lambda: [s.id for s in snaps.list()], lambda ids, sid=snap.id: sid not in ids, timeout=120,
                         interval=0.02, what="the snapshot removed")
                remove.append(ms(started))
            results["live_snapshot_create"] = summary(create)
            results["live_snapshot_remove_active_commit"] = summary(remove)
            wait_counting(estate, vm_id, 2)
        finally:
            for vm_id in reversed(made):
                try:
                    estate.destroy_vm(vm_id)
                except Exception:  # noqa: BLE001 - best-effort cleanup of a benchmark
                    pass
            conn.close()
            server.stop()
    Path(__file__).with_name("images_results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
