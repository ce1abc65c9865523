"""Benchmark high availability on QEMU lab hosts: the time from a host's death to its HA VMs running elsewhere.

Run with ``make bench`` (``.venv/bin/python benchmarks/ha.py``; it needs the QEMU lab packages that ``make setup``
installs). The script

1. starts ``python -m engine_api serve --lab-hosts 4 --lab-hypervisor qemu`` as a separate process with
   ``monitor_interval`` 1 s and ``non_responsive_timeout`` 5 s, adds the hosts and an NFS data domain on a
   local directory through the API (ovirtsdk4). Lab leases use sanlock's timings scaled to an I/O timeout of
   1 s: renewed every 2 s, a VM destroyed by its host after 8 s without renewal, a lease free after 14 s;
2. per run, starts two highly available VMs holding a lease on the data domain and one without a lease on one
   host, then cuts that host's power from outside the engine (its agent, its lease keeper and its libvirtd's
   namespace, with every qemu in it, are killed at once). It measures, for each leased VM, the time from the
   death until a qemu process runs it on another host (each hypervisor asked every 100 ms) and until the API
   shows it ``up``; for the unleased VM, until the engine says the host could not be fenced, then from the
   manual fence (the user confirming the host rebooted) until the VM is ``up`` elsewhere. The watcher also
   checks that no VM ever runs on two hosts. Each run kills one more host (3 runs on 4 hosts);
3. prints a table and writes ``benchmarks/ha_results.json``.

The VMs have 64 MiB and no disk (the BIOS waits for a boot device): what is measured is the engine, the agents,
the lease keepers, libvirt and QEMU. A report: the exit status is 0 whatever the figures, 1 when the engine
fails and 2 when this machine cannot run QEMU lab hosts. Not a pytest module.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import libvirt
import ovirtsdk4 as sdk
import ovirtsdk4.types as t
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import finish  # noqa: E402
from hosts import Engine, EngineFailure, console, wait  # noqa: E402 - the lab engine of the hosts benchmark

from engine_api.agent.leases import Timings  # noqa: E402
from engine_api.lab.hosts import LEASE_IO_TIMEOUT  # noqa: E402
from engine_api.lab.libvirtd import kvm_usable, missing_programs  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "ha_results.json"
MiB = 1 << 20
TARGET_S = 30.0
libvirt.registerErrorHandler(lambda *_: None, None)  # a powered-off host's daemon no longer answers


class Watcher(threading.Thread):
    """Which VMs each hypervisor runs, every 100 ms: when each VM was first seen on each host, and any sample
    with a VM on two hosts."""

    def __init__(self, uris: list[str]):
        super().__init__(daemon=True)
        self.uris = uris
        self.stop_event = threading.Event()
        self.first_seen: dict[tuple[str, int], float] = {}
        self.twice: list[str] = []
        self.samples = 0

    def run(self) -> None:
        conns: list = [None] * len(self.uris)
        while not self.stop_event.is_set():
            now = time.monotonic()
            running = []
            for i, uri in enumerate(self.uris):
                try:
                    conns[i] = conns[i] or libvirt.open(uri)
                    running.append({conns[i].lookupByID(d).UUIDString() for d in conns[i].listDomainsID()})
                except libvirt.libvirtError:
                    conns[i] = None
                    running.append(set())
            for i, vms in enumerate(running):
                for vm in vms:
                    self.first_seen.setdefault((vm, i), now)
            for vm in set().union(*running):
                if sum(vm in r for r in running) > 1:
                    self.twice.append(vm)
            self.samples += 1
            self.stop_event.wait(max(0.0, 0.1 - (time.monotonic() - now)))

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=10)


class Lab:
    def __init__(self, engine: Engine, hosts: int, storage: Path):
        self.engine = engine
        self.conn = engine.connect()
        self.system = self.conn.system_service()
        service = self.system.hosts_service()
        self.host_ids = [service.add(t.Host(name=f"halab{i + 1}", address=engine.address(i), port=engine.lab_port,
                                            cluster=t.Cluster(name="Default"))).id for i in range(hosts)]
        wait(lambda: {h.id: h.status for h in service.list()},
             lambda s: all(s.get(h) == t.HostStatus.UP for h in self.host_ids), 180, "all hosts up")
        sds = self.system.storage_domains_service()
        sd = sds.add(t.StorageDomain(name="hanfs", type=t.StorageDomainType.DATA, host=t.Host(id=self.host_ids[0]),
                                     storage=t.HostStorage(type=t.StorageType.NFS, address="127.0.0.1",
                                                           path=str(storage))))
        dc = self.system.data_centers_service().list(search="name=Default")[0]
        attached = self.system.data_centers_service().data_center_service(dc.id).storage_domains_service()
        attached.add(t.StorageDomain(id=sd.id))
        wait(attached.storage_domain_service(sd.id).get, lambda a: a.status == t.StorageDomainStatus.ACTIVE, 60,
             "the data domain active")
        self.sd_id = sd.id

    def root(self, i: int) -> Path:
        return self.engine.data_dir / "lab" / f"host{i + 1}"

    def libvirt_uri(self, i: int) -> str:
        return f"qemu:///system?socket={self.root(i) / 'libvirt' / 'run' / 'libvirt-sock'}"

    def new_vm(self, name: str, leased: bool) -> str:
        lease = t.StorageDomainLease(storage_domain=t.StorageDomain(id=self.sd_id)) if leased else None
        return self.system.vms_service().add(t.Vm(
            name=name, cluster=t.Cluster(name="Default"), template=t.Template(name="Blank"), memory=64 * MiB,
            memory_policy=t.MemoryPolicy(guaranteed=64 * MiB, max=64 * MiB),
            high_availability=t.HighAvailability(enabled=True, priority=1), lease=lease)).id

    def vm(self, vm_id: str) -> sdk.services.VmService:
        return self.system.vms_service().vm_service(vm_id)

    def power_off(self, i: int) -> None:
        """Pull the plug from outside the engine: the agent, the lease keeper and the libvirtd namespace (every
        qemu of the host in it) get SIGKILL at once."""
        pids = []
        for name in ("agent.pid", "leasekeeper.pid"):
            try:
                pids.append(int((self.root(i) / name).read_text()))
            except (OSError, ValueError):
                pass
        marker = str(self.root(i) / "libvirt" / "passwd")
        out = subprocess.run(["pgrep", "-f", f"unshare.*{marker}"], capture_output=True, text=True).stdout
        pids += [int(p) for p in out.split()]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def events_since(self, index: int, text: str) -> list[t.Event]:
        return [e for e in self.system.events_service().list(from_=index, max=1000) if text in (e.description or "")]

    def last_event(self) -> int:
        events = self.system.events_service().list(max=1)
        return int(events[0].index) if events else 0


def one_run(lab: Lab, run: int, victim: int) -> dict:
    leased = [lab.new_vm(f"ha{run}-leased{k}", True) for k in range(2)]
    plain = lab.new_vm(f"ha{run}-plain", False)
    for vm_id in (*leased, plain):
        lab.vm(vm_id).start(vm=t.Vm(placement_policy=t.VmPlacementPolicy(hosts=[t.Host(id=lab.host_ids[victim])])))
    for vm_id in (*leased, plain):
        wait(lab.vm(vm_id).get, lambda v: v.status == t.VmStatus.UP, 120, "the VM up")
    time.sleep(2 * Timings(LEASE_IO_TIMEOUT).renew_interval)  # the keeper has renewed since the start
    watcher = Watcher([lab.libvirt_uri(i) for i in range(len(lab.host_ids))])
    watcher.start()
    mark = lab.last_event()
    died, died_wall = time.monotonic(), time.time()
    lab.power_off(victim)
    up: dict[str, float] = {}
    started: dict[str, float] = {}
    try:
        for vm_id in leased:
            vm = wait(lab.vm(vm_id).get, lambda v: v.status == t.VmStatus.UP and v.host.id != lab.host_ids[victim],
                      120, "the leased VM up elsewhere", interval=0.1)
            up[vm_id] = time.monotonic() - died
            where = lab.host_ids.index(vm.host.id)
            started[vm_id] = watcher.first_seen[(vm_id, where)] - died
        events = wait(lambda: lab.events_since(mark, "could not be fenced"), bool, 60, "the failed fencing told")
        told = min(e.time.timestamp() for e in events) - died_wall  # when the engine wrote it
        unleased_elsewhere_before = any((plain, i) in watcher.first_seen for i in range(len(lab.host_ids))
                                        if i != victim)
        fenced = time.monotonic()
        lab.system.hosts_service().host_service(lab.host_ids[victim]).fence(fence_type="manual")
        wait(lab.vm(plain).get, lambda v: v.status == t.VmStatus.UP and v.host.id != lab.host_ids[victim], 120,
             "the unleased VM up elsewhere", interval=0.1)
        plain_up = time.monotonic() - fenced
    finally:
        watcher.stop()
    for vm_id in (*leased, plain):
        lab.vm(vm_id).stop()
    for vm_id in (*leased, plain):
        wait(lab.vm(vm_id).get, lambda v: v.status == t.VmStatus.DOWN, 60, "the VM down")
    return {"victim": victim, "leased_up_s": [round(up[v], 2) for v in leased],
            "leased_qemu_started_s": [round(started[v], 2) for v in leased],
            "unleased_fencing_failed_told_s": round(told, 2),
            "unleased_started_before_fence": unleased_elsewhere_before,
            "unleased_up_after_manual_fence_s": round(plain_up, 2), "twice": sorted(set(watcher.twice)),
            "samples": watcher.samples}


def run(args: argparse.Namespace) -> dict:
    config = {"monitor_interval": args.monitor_interval, "non_responsive_timeout": args.non_responsive_timeout}
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vdc-bha-") as tmp:  # short: libvirt's socket paths are bounded
        engine = Engine(Path(tmp) / "data", args.hosts, config, hypervisor="qemu")
        try:
            engine.wait_ready(timeout=180)
            console.print(f"adding {args.hosts} QEMU lab hosts and a data domain ...")
            storage = Path(tmp) / "nfs"
            storage.mkdir()
            lab = Lab(engine, args.hosts, storage)
            runs = []
            for r in range(args.hosts - 1):
                console.print(f"run {r + 1}: host {r + 1} loses its power ...")
                runs.append(one_run(lab, r, r))
            lab.conn.close()
        finally:
            engine.stop()
    timings = Timings(LEASE_IO_TIMEOUT)
    leased = [s for r in runs for s in r["leased_up_s"]]
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "kvm": kvm_usable(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "settings": {"hosts": args.hosts, **config, "lease_io_timeout_s": LEASE_IO_TIMEOUT,
                     "lease_renew_s": timings.renew_interval, "lease_kill_after_s": timings.kill_after,
                     "lease_expiry_s": timings.expiry},
        "runs": runs,
        "leased_up_median_s": round(statistics.median(leased), 2), "leased_up_max_s": round(max(leased), 2),
        "target_s": TARGET_S, "never_twice": not any(r["twice"] for r in runs),
        "elapsed_s": round(time.monotonic() - began, 1),
    }


def show(report: dict) -> None:
    cfg, runs = report["settings"], report["runs"]
    table = Table(title=f"HA on QEMU lab hosts: a host powered off ({len(runs)} runs; lease expiry "
                        f"{cfg['lease_expiry_s']:g} s, non_responsive_timeout {cfg['non_responsive_timeout']:g} s, "
                        f"{'KVM' if report['machine']['kvm'] else 'TCG'})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    qemu = [s for r in runs for s in r["leased_qemu_started_s"]]
    table.add_row("leased HA VM: death to qemu running elsewhere, median / max",
                  f"{statistics.median(qemu):.1f} / {max(qemu):.1f} s")
    table.add_row(f"leased HA VM: death to up in the API, median / max (target {report['target_s']:g} s)",
                  f"[bold]{report['leased_up_median_s']:.1f}[/bold] / {report['leased_up_max_s']:.1f} s")
    told = [r["unleased_fencing_failed_told_s"] for r in runs]
    table.add_row("unleased HA VM: death to 'could not be fenced' event, median", f"{statistics.median(told):.1f} s")
    manual = [r["unleased_up_after_manual_fence_s"] for r in runs]
    table.add_row("unleased HA VM: manual fence to up elsewhere, median", f"{statistics.median(manual):.1f} s")
    table.add_row("unleased HA VM started elsewhere before the manual fence",
                  "never" if not any(r["unleased_started_before_fence"] for r in runs) else "[red]yes[/red]")
    table.add_row("a VM on two hosts at once (sampled every 100 ms)",
                  "never" if report["never_twice"] else "[red]yes[/red]")
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hosts", type=int, default=4)
    p.add_argument("--monitor-interval", type=float, default=1.0)
    p.add_argument("--non-responsive-timeout", type=float, default=5.0)
    p.add_argument("--output", type=Path, default=RESULTS, help=f"results file (default {RESULTS})")
    args = p.parse_args(argv)
    if missing := missing_programs():
        console.print(f"[yellow]QEMU lab hosts need {', '.join(missing)}: run `make setup`[/yellow]")
        return 2
    return finish(console, args, run, show, (EngineFailure, sdk.Error, libvirt.libvirtError), args.output)


if __name__ == "__main__":
    sys.exit(main())
