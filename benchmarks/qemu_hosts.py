"""Benchmark QEMU lab hosts: VM start latency, live migration (wall time and downtime), the graceful shutdown
timeout, and many VMs started at once.

Run with ``make bench`` (``.venv/bin/python benchmarks/qemu_hosts.py``; it needs the QEMU lab packages that
``make setup`` installs). The script

1. starts ``python -m engine_api serve --lab-hosts 3 --lab-hypervisor qemu`` as a separate process (a libvirtd
   per lab host, VMs as real qemu processes, KVM when ``/dev/kvm`` is usable) with a fresh data directory whose
   ``config.json`` sets ``monitor_interval`` and ``vm_graceful_shutdown_timeout``, adds the hosts through the API
   (ovirtsdk4) and waits until they are up. The VMs have 64 MiB and no disk (the BIOS finds nothing to boot and
   waits): what is measured is the engine, the agents, libvirt and QEMU;
2. starts one VM 10 times on the hosts in turn and measures each start from the request until the API shows it
   ``up`` (median, p95), stopping it in between;
3. migrates a running VM 6 times between the hosts and measures the wall time from the request until the API
   shows it ``up`` on its destination, and libvirt's own figures of each migration from the destination's
   completed job statistics (``jobStats(VIR_DOMAIN_JOB_STATS_COMPLETED)``: ``time_elapsed``, ``downtime``);
4. asks 3 times a guest that ignores ACPI to shut down and measures the time until the engine powered it off
   (the timeout plus the time monitoring takes to notice and act);
5. starts 50 VMs spread over the 3 hosts from 6 client threads and measures from the first request until all
   are ``up`` (then checks 50 qemu processes run), and the time to stop them all;
6. prints a table and writes ``benchmarks/qemu_hosts_results.json``.

It is a report: the exit status is 0 whatever the figures, 1 when the engine fails and 2 when this machine
cannot run QEMU lab hosts. Not a pytest module.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import libvirt
import ovirtsdk4 as sdk
import ovirtsdk4.types as t
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import finish, p95  # noqa: E402
from hosts import Engine, EngineFailure, console, wait  # noqa: E402 - the lab engine of the hosts benchmark

from engine_api.lab.libvirtd import kvm_usable, missing_programs  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "qemu_hosts_results.json"
MiB = 1 << 20


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


class Lab:
    """The benchmark's view of the engine: API calls, and each lab host's libvirtd."""

    def __init__(self, engine: Engine, hosts: int):
        self.engine = engine
        self.conn = engine.connect()
        self.system = self.conn.system_service()
        service = self.system.hosts_service()
        self.host_ids = [service.add(t.Host(name=f"qlab{i + 1}", address=engine.address(i), port=engine.lab_port,
                                            cluster=t.Cluster(name="Default"))).id for i in range(hosts)]
        wait(lambda: {h.id: h.status for h in service.list()},
             lambda s: all(s.get(h) == t.HostStatus.UP for h in self.host_ids), 180, "all hosts up")

    def libvirt_uri(self, i: int) -> str:
        sock = self.engine.data_dir / "lab" / f"host{i + 1}" / "libvirt" / "run" / "libvirt-sock"
        return f"qemu:///system?socket={sock}"

    def new_vm(self, name: str, memory: int) -> str:
        return self.system.vms_service().add(t.Vm(
            name=name, cluster=t.Cluster(name="Default"), template=t.Template(name="Blank"), memory=memory,
            memory_policy=t.MemoryPolicy(guaranteed=memory, max=memory))).id

    def vm(self, vm_id: str, conn: sdk.Connection | None = None) -> sdk.services.VmService:
        return (conn or self.conn).system_service().vms_service().vm_service(vm_id)

    def wait_vm(self, vm_id: str, cond, what: str, timeout: float = 120) -> t.Vm:
        def check(vm: t.Vm) -> bool:
            self.engine.check_alive()
            return cond(vm)

        return wait(self.vm(vm_id).get, check, timeout, what, interval=0.02)

    def start_on(self, vm_id: str, i: int, conn: sdk.Connection | None = None) -> None:
        self.vm(vm_id, conn).start(vm=t.Vm(placement_policy=t.VmPlacementPolicy(
            hosts=[t.Host(id=self.host_ids[i])])))

    def stop(self, vm_id: str) -> None:
        self.vm(vm_id).stop()
        self.wait_vm(vm_id, lambda v: v.status == t.VmStatus.DOWN, "the VM down")

    def completed_migration(self, i: int, vm_id: str) -> dict:
        conn = libvirt.open(self.libvirt_uri(i))
        try:
            return conn.lookupByUUIDString(vm_id).jobStats(libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED)
        finally:
            conn.close()


def start_latency(lab: Lab, runs: int, memory: int) -> dict:
    vm_id = lab.new_vm("bench-start", memory)
    times = []
    for n in range(runs):
        began = time.monotonic()
        lab.start_on(vm_id, n % len(lab.host_ids))
        lab.wait_vm(vm_id, lambda v: v.status == t.VmStatus.UP, "the VM up")
        times.append(time.monotonic() - began)
        lab.stop(vm_id)
    return {"runs": runs, "median_ms": ms(statistics.median(times)), "p95_ms": ms(p95(times)),
            "min_ms": ms(min(times)), "max_ms": ms(max(times))}


def migrations(lab: Lab, runs: int, memory: int) -> dict:
    vm_id = lab.new_vm("bench-migrate", memory)
    lab.start_on(vm_id, 0)
    lab.wait_vm(vm_id, lambda v: v.status == t.VmStatus.UP, "the VM up")
    time.sleep(2)  # let the guest's BIOS settle: a migration of a VM still booting is not the common case
    walls, elapsed, downtimes = [], [], []
    where = 0
    for _ in range(runs):
        dest = (where + 1) % len(lab.host_ids)
        began = time.monotonic()
        lab.vm(vm_id).migrate(host=t.Host(id=lab.host_ids[dest]))
        lab.wait_vm(vm_id, lambda v, d=dest: v.status == t.VmStatus.UP and v.host.id == lab.host_ids[d],
                    "the VM up on its destination")
        walls.append(time.monotonic() - began)
        stats = lab.completed_migration(dest, vm_id)
        elapsed.append(stats[libvirt.VIR_DOMAIN_JOB_TIME_ELAPSED] / 1000)
        downtimes.append(stats[libvirt.VIR_DOMAIN_JOB_DOWNTIME])
        where = dest
    lab.stop(vm_id)
    return {"runs": runs, "wall_median_ms": ms(statistics.median(walls)), "wall_p95_ms": ms(p95(walls)),
            "libvirt_time_median_ms": ms(statistics.median(elapsed)),
            "downtime_median_ms": statistics.median(downtimes), "downtime_max_ms": max(downtimes),
            "downtimes_ms": downtimes}


def graceful_shutdowns(lab: Lab, runs: int, memory: int, timeout: float) -> dict:
    vm_id = lab.new_vm("bench-shutdown", memory)
    times = []
    for n in range(runs):
        lab.start_on(vm_id, n % len(lab.host_ids))
        lab.wait_vm(vm_id, lambda v: v.status == t.VmStatus.UP, "the VM up")
        began = time.monotonic()
        lab.vm(vm_id).shutdown()
        lab.wait_vm(vm_id, lambda v: v.status == t.VmStatus.DOWN, "the VM powered off", timeout=timeout + 60)
        times.append(time.monotonic() - began)
    return {"runs": runs, "timeout_s": timeout, "median_s": round(statistics.median(times), 2),
            "max_s": round(max(times), 2)}


def many(lab: Lab, count: int, clients: int, memory: int) -> dict:
    ids = [lab.new_vm(f"bench-many-{i:03d}", memory) for i in range(count)]
    conns = [lab.engine.connect() for _ in range(clients)]
    hosts = len(lab.host_ids)
    try:
        began = time.monotonic()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda i: lab.start_on(ids[i], i % hosts, conns[i % clients]), range(count)))
        sent = time.monotonic()

        def all_up(vms: list[t.Vm]) -> bool:
            lab.engine.check_alive()
            if failed := [v.name for v in vms if v.status == t.VmStatus.DOWN]:
                errors = [e.description for e in lab.system.events_service().list(max=20)
                          if e.severity == t.LogSeverity.ERROR]
                raise EngineFailure(f"{len(failed)} VMs failed to start ({', '.join(failed[:5])}): {errors[:3]}")
            return all(v.status == t.VmStatus.UP for v in vms)

        wait(lambda: [lab.vm(v).get() for v in ids], all_up, 600, f"all {count} VMs up", interval=0.2)
        up = time.monotonic()
        processes = len(subprocess.run(["pgrep", "-f", "qemu-system.*bench-many-"], capture_output=True,
                                       text=True).stdout.split())
        if processes != count:
            raise EngineFailure(f"{processes} qemu processes run, the engine says {count} VMs are up")
        stopping = time.monotonic()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda i: lab.vm(ids[i], conns[i % clients]).stop(), range(count)))
        wait(lambda: [lab.vm(v).get() for v in ids], lambda vms: all(v.status == t.VmStatus.DOWN for v in vms),
             600, f"all {count} VMs down", interval=0.2)
        stopped = time.monotonic()
    finally:
        for c in conns:
            c.close()
    return {"vms": count, "hosts": hosts, "clients": clients, "requests_s": round(sent - began, 2),
            "all_up_s": round(up - began, 2), "qemu_processes": processes, "all_down_s": round(stopped - stopping, 2)}


def run(args: argparse.Namespace) -> dict:
    config = {"monitor_interval": args.monitor_interval, "non_responsive_timeout": 30.0,
              "vm_graceful_shutdown_timeout": args.shutdown_timeout}
    memory = args.vm_memory_mib * MiB
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vdc-bq-") as tmp:  # short: libvirt's socket paths are bounded
        engine = Engine(Path(tmp) / "data", args.hosts, config, hypervisor="qemu")
        try:
            engine.wait_ready(timeout=180)
            console.print(f"adding {args.hosts} QEMU lab hosts ...")
            lab = Lab(engine, args.hosts)
            console.print(f"starting a VM {args.starts} times ...")
            starts = start_latency(lab, args.starts, memory)
            console.print(f"migrating a VM {args.migrations} times ...")
            migrated = migrations(lab, args.migrations, memory)
            console.print(f"shutting down a guest that ignores ACPI {args.shutdowns} times ...")
            shutdowns = graceful_shutdowns(lab, args.shutdowns, memory, args.shutdown_timeout)
            console.print(f"starting {args.vms} VMs on {args.hosts} hosts ...")
            crowd = many(lab, args.vms, args.clients, memory)
            lab.conn.close()
        finally:
            engine.stop()
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "kvm": kvm_usable(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "settings": {"hosts": args.hosts, "vm_memory_mib": args.vm_memory_mib, **config},
        "start_latency": starts, "migration": migrated, "graceful_shutdown": shutdowns, "many_vms": crowd,
        "elapsed_s": round(time.monotonic() - began, 1),
    }


def show(report: dict) -> None:
    s, m, g, c = (report[k] for k in ("start_latency", "migration", "graceful_shutdown", "many_vms"))
    cfg = report["settings"]
    table = Table(title=f"QEMU lab hosts: {cfg['hosts']} hosts, {cfg['vm_memory_mib']} MiB VMs "
                        f"({'KVM' if report['machine']['kvm'] else 'TCG'}, monitor_interval "
                        f"{cfg['monitor_interval']:g} s)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row(f"VM start, request to up ({s['runs']} runs): median / p95",
                  f"[bold]{s['median_ms']:.0f}[/bold] / {s['p95_ms']:.0f} ms")
    table.add_row(f"live migration, request to up on the destination ({m['runs']} runs): median / p95",
                  f"[bold]{m['wall_median_ms']:.0f}[/bold] / {m['wall_p95_ms']:.0f} ms")
    table.add_row("live migration, libvirt's job time: median", f"{m['libvirt_time_median_ms']:.0f} ms")
    table.add_row("live migration downtime (libvirt): median / max",
                  f"[bold]{m['downtime_median_ms']}[/bold] / {m['downtime_max_ms']} ms")
    table.add_row(f"graceful shutdown ignored, request to powered off (timeout {g['timeout_s']:g} s): median / max",
                  f"{g['median_s']:.2f} / {g['max_s']:.2f} s")
    table.add_row(f"{c['vms']} VMs on {c['hosts']} hosts: first request to all up",
                  f"[bold]{c['all_up_s']:.2f} s[/bold]")
    table.add_row(f"{c['vms']} VMs: stop requests to all down", f"{c['all_down_s']:.2f} s")
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hosts", type=int, default=3)
    p.add_argument("--starts", type=int, default=10)
    p.add_argument("--migrations", type=int, default=6)
    p.add_argument("--shutdowns", type=int, default=3)
    p.add_argument("--shutdown-timeout", type=float, default=5.0, help="vm_graceful_shutdown_timeout, seconds")
    p.add_argument("--vms", type=int, default=50)
    p.add_argument("--clients", type=int, default=6)
    p.add_argument("--vm-memory-mib", type=int, default=64)
    p.add_argument("--monitor-interval", type=float, default=3.0, help="the engine's default")
    p.add_argument("--output", type=Path, default=RESULTS, help=f"results file (default {RESULTS})")
    args = p.parse_args(argv)
    if missing := missing_programs():
        console.print(f"[yellow]QEMU lab hosts need {', '.join(missing)}: run `make setup`[/yellow]")
        return 2
    return finish(console, args, run, show, (EngineFailure, sdk.Error, libvirt.libvirtError), args.output)


if __name__ == "__main__":
    sys.exit(main())
