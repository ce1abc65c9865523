"""Host and VM statistics, measured as vdsm measures them: samples, and rates computed between two samples.

A host sample reads ``/proc/stat``, ``/proc/meminfo``, ``/proc/loadavg`` and the KSM and huge page counters
under ``/sys``; a VM sample is what libvirt's bulk stats (``getAllDomainStats``) give. Rates need two samples
at least :data:`MIN_WINDOW` seconds apart: :class:`Sampler` keeps the previous one and reports the rates of
the last complete window however often it is asked. The formulas are pure functions over samples.

What a source does not give is left out, never filled in: libvirt's test driver gives no CPU or balloon
stats, so its VMs have no CPU percentages.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import libvirt

MIN_WINDOW = 1.0  # seconds: a shorter window measures jiffy rounding, not load
VM_STATS = ("STATE", "CPU_TOTAL", "BALLOON", "VCPU", "INTERFACE", "BLOCK")  # what vdsm asks libvirt for

# ---------------------------------------------------------------- host samples


@dataclass(frozen=True)
class CpuTimes:
    """The ``cpu`` line of ``/proc/stat`` in jiffies, summed over ``ncpus`` CPUs; user includes nice."""

    user: int
    system: int
    idle: int
    ncpus: int


@dataclass(frozen=True)
class HostSample:
    time: float  # monotonic seconds
    cpu: CpuTimes
    meminfo: dict[str, int]  # /proc/meminfo fields, in bytes
    loadavg: tuple[float, float, float]
    boot_time: int | None  # seconds since the epoch
    ksm_shared: int | None = None  # bytes KSM saves (pages_sharing x page size)
    hugepages: dict[int, dict[str, int]] = field(default_factory=dict)  # size KiB -> {total, free}


def parse_proc_stat(text: str) -> tuple[CpuTimes, int | None]:
    """The CPU times and the boot time (``btime``) of ``/proc/stat``."""
    cpu: list[int] = []
    ncpus = 0
    boot = None
    for line in text.splitlines():
        fields = line.split()
        if not fields:
            continue
        if fields[0] == "cpu":
            cpu = [int(v) for v in fields[1:]]
        elif fields[0].startswith("cpu") and fields[0][3:].isdigit():
            ncpus += 1
        elif fields[0] == "btime":
            boot = int(fields[1])
    if len(cpu) < 4:
        raise ValueError("/proc/stat has no cpu line")
    user, nice, system, idle = cpu[:4]
    return CpuTimes(user + nice, system, idle, max(ncpus, 1)), boot


def parse_meminfo(text: str) -> dict[str, int]:
    """``/proc/meminfo`` in bytes (its kB values times 1024; unitless counts as they are)."""
    out = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if not parts or not parts[0].isdigit():
            continue
        out[name.strip()] = int(parts[0]) * (1024 if parts[1:2] == ["kB"] else 1)
    return out


def parse_loadavg(text: str) -> tuple[float, float, float]:
    one, five, fifteen = (float(v) for v in text.split()[:3])
    return one, five, fifteen


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def hypervisor_cpu(conn: libvirt.virConnect, hz: int) -> CpuTimes | None:
    """The node's CPU times as its hypervisor counts them (``virNodeGetCPUStats``), in jiffies: on a real host
    the same figures as ``/proc/stat``; on libvirt's test driver, those of the simulated node, not of the
    machine that happens to run it."""
    try:
        times, ncpus = conn.getCPUStats(-1), conn.getInfo()[2]
    except libvirt.libvirtError:
        return None

    def jiffies(key: str) -> int:
        return int(times.get(key, 0)) * hz // 1_000_000_000

    return CpuTimes(jiffies("user"), jiffies("kernel"), jiffies("idle"), max(int(ncpus), 1))


def host_sample(proc: Path = Path("/proc"), sys: Path = Path("/sys"), now: float | None = None,
                cpu_times: CpuTimes | None = None) -> HostSample:
    cpu, boot = parse_proc_stat((proc / "stat").read_text())
    cpu = cpu_times or cpu
    pages = _read_int(sys / "kernel/mm/ksm/pages_sharing")
    huge: dict[int, dict[str, int]] = {}
    huge_dir = sys / "kernel/mm/hugepages"
    if huge_dir.is_dir():
        for d in sorted(huge_dir.iterdir()):
            size = d.name.removeprefix("hugepages-").removesuffix("kB")
            total, free = _read_int(d / "nr_hugepages"), _read_int(d / "free_hugepages")
            if size.isdigit() and total is not None and free is not None:
                huge[int(size)] = {"total": total, "free": free}
    return HostSample(
        time=time.monotonic() if now is None else now, cpu=cpu, meminfo=parse_meminfo((proc / "meminfo").read_text()),
        loadavg=parse_loadavg((proc / "loadavg").read_text()), boot_time=boot,
        ksm_shared=None if pages is None else pages * os.sysconf("SC_PAGE_SIZE"), hugepages=huge)


def _clamp(percent: float) -> float:
    """Wall time and jiffy counters drift a little apart: a share stays within 0..100."""
    return min(100.0, max(0.0, percent))


def cpu_percent(prev: CpuTimes, cur: CpuTimes, interval: float, hz: int) -> dict[str, float]:
    """vdsm's host CPU: jiffies spent over the window, divided by the jiffies ``ncpus`` CPUs had in it.

    ``idle`` is what neither user nor system took (vdsm's ``cpuIdle``), so the three add up to 100.
    """
    jiffies = interval * hz * cur.ncpus
    user = _clamp(100.0 * (cur.user - prev.user) / jiffies)
    system = _clamp(100.0 * (cur.system - prev.system) / jiffies)
    return {"user": round(user, 2), "system": round(system, 2), "idle": round(max(0.0, 100.0 - user - system), 2)}


def memory_used_percent(meminfo: Mapping[str, int]) -> float:
    """vdsm's ``memUsed``: 100 - (MemFree + Cached + Buffers + SReclaimable) / MemTotal."""
    free = sum(meminfo.get(k, 0) for k in ("MemFree", "Cached", "Buffers", "SReclaimable"))
    return 100.0 - 100.0 * free / meminfo["MemTotal"]


def host_stats(prev: HostSample | None, cur: HostSample, hz: int) -> dict:
    """The host's statistics from its latest sample; CPU rates only over a window from ``prev``."""
    mem = cur.meminfo
    total = mem["MemTotal"]
    used = round(total * memory_used_percent(mem) / 100.0)
    out: dict = {
        "memory": {"total": total, "used": used, "free": total - used, "used_percent": round(
            memory_used_percent(mem), 2)},
        "load_avg_5m": cur.loadavg[1], "ncpus": cur.cpu.ncpus,
    }
    for key, name in (("Buffers", "buffers"), ("Cached", "cached")):
        if key in mem:
            out["memory"][name] = mem[key]
    if cur.ksm_shared is not None:
        out["memory"]["shared"] = cur.ksm_shared
    if "SwapTotal" in mem and "SwapFree" in mem:
        out["swap"] = {"total": mem["SwapTotal"], "free": mem["SwapFree"], "used": mem["SwapTotal"] - mem["SwapFree"]}
        if "SwapCached" in mem:
            out["swap"]["cached"] = mem["SwapCached"]
    if cur.boot_time is not None:
        out["boot_time"] = cur.boot_time
    if cur.hugepages:
        out["hugepages"] = {str(size): dict(v) for size, v in cur.hugepages.items()}
    if prev is not None and cur.time > prev.time:
        out["cpu"] = cpu_percent(prev.cpu, cur.cpu, cur.time - prev.time, hz)
        out["interval"] = round(cur.time - prev.time, 3)
    return out


# ---------------------------------------------------------------- VM samples


@dataclass(frozen=True)
class VmSample:
    time: float  # monotonic seconds
    domains: dict[str, dict]  # uuid -> libvirt's bulk stats record of the domain


def vm_cpu(prev: Mapping, cur: Mapping, interval: float) -> dict[str, float]:
    """vdsm's VM CPU over a window, in percent of one CPU (not divided by the vCPU count).

    ``hypervisor`` (vdsm ``cpuSys``) is 100·Δ(cpu.user + cpu.system)/interval/1e9; ``guest`` (vdsm ``cpuUser``)
    is 100·(Δcpu.time − Δ(cpu.user + cpu.system))/interval/1e9, at least 0; ``total`` their sum. Without
    ``cpu.user``/``cpu.system`` only the total is known.
    """
    if interval <= 0 or "cpu.time" not in cur or "cpu.time" not in prev:
        return {}
    d_time = cur["cpu.time"] - prev["cpu.time"]
    if d_time < 0:  # a new domain under the same uuid: no window
        return {}
    scale = 100.0 / interval / 1e9
    if all(k in cur and k in prev for k in ("cpu.user", "cpu.system")):
        d_sys = (cur["cpu.user"] + cur["cpu.system"]) - (prev["cpu.user"] + prev["cpu.system"])
        hypervisor = max(0.0, d_sys * scale)
        guest = max(0.0, (d_time - d_sys) * scale)
        return {"guest": round(guest, 2), "hypervisor": round(hypervisor, 2), "total": round(guest + hypervisor, 2)}
    return {"total": round(max(0.0, d_time * scale), 2)}


def vm_memory(record: Mapping) -> dict[str, int]:
    """The guest's memory as its balloon driver reports it (libvirt gives KiB), where it does."""
    out = {}
    for key, name in (("balloon.current", "current"), ("balloon.available", "available"),
                      ("balloon.unused", "unused"), ("balloon.disk_caches", "cached"), ("balloon.usable", "usable")):
        if key in record:
            out[name] = int(record[key]) * 1024
    if "available" in out and "unused" in out:
        out["used"] = out["available"] - out["unused"]
    return out


def _indexed(record: Mapping, prefix: str, names: tuple[str, ...]) -> list[dict]:
    items = []
    for i in range(int(record.get(f"{prefix}.count", 0))):
        item = {"name": record.get(f"{prefix}.{i}.name")}
        item.update({n.replace(".", "_"): record[f"{prefix}.{i}.{n}"] for n in names if f"{prefix}.{i}.{n}" in record})
        items.append(item)
    return items


def vm_stats(prev: VmSample | None, cur: VmSample, started: Mapping[str, float], now: float) -> dict[str, dict]:
    """Each domain's statistics: CPU over the window from ``prev``, memory, counters, and the time it has run
    since ``started`` (epoch seconds, for the domains whose start is known)."""
    out = {}
    for uuid, record in cur.domains.items():
        stats: dict = {}
        if prev is not None and uuid in prev.domains and (cpu := vm_cpu(prev.domains[uuid], record,
                                                                          cur.time - prev.time)):
            stats["cpu"] = cpu
        if memory := vm_memory(record):
            stats["memory"] = memory
        if "vcpu.current" in record:
            stats["vcpus"] = int(record["vcpu.current"])
        if nets := _indexed(record, "net", ("rx.bytes", "tx.bytes", "rx.pkts", "tx.pkts")):
            stats["network"] = nets
        if blocks := _indexed(record, "block", ("rd.bytes", "wr.bytes", "rd.reqs", "wr.reqs")):
            stats["block"] = blocks
        if uuid in started:
            stats["elapsed_time"] = max(0, int(now - started[uuid]))
        out[uuid] = stats
    return out


def vm_sample(conn: libvirt.virConnect, now: float | None = None) -> VmSample:
    """libvirt's bulk stats of the running domains, with the groups the driver supports."""
    flags = 0
    for name in VM_STATS:
        flags |= getattr(libvirt, f"VIR_DOMAIN_STATS_{name}", 0)
    taken = time.monotonic() if now is None else now
    try:
        # NOWAIT: a domain busy with a job (a migration, say) is reported with what needs no wait, never blocking
        # the whole report (the engine would see the host stop answering)
        records = conn.getAllDomainStats(flags, libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE
                                         | getattr(libvirt, "VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT", 0))
    except libvirt.libvirtError:
        return VmSample(taken, {})
    return VmSample(taken, {dom.UUIDString(): dict(record) for dom, record in records})


# ---------------------------------------------------------------- the sampler the agent keeps


class Sampler:
    """The previous samples and the rates of the last window at least :data:`MIN_WINDOW` long."""

    def __init__(self, proc: Path = Path("/proc"), sys: Path = Path("/sys")):
        self.proc, self.sys = proc, sys
        self.hz = os.sysconf("SC_CLK_TCK")
        self._lock = threading.Lock()
        self._host: tuple[HostSample | None, HostSample | None] = (None, None)  # (window start, window end)
        self._vms: tuple[VmSample | None, VmSample | None] = (None, None)

    @staticmethod
    def _advance(pair: tuple, sample):
        """Start a new window at the last end once ``sample`` is a full window after it."""
        _start, end = pair
        if end is None:
            return None, sample
        if sample.time - end.time >= MIN_WINDOW:
            return end, sample
        return pair

    def host(self, conn: libvirt.virConnect | None = None) -> dict:
        """Levels (memory, load, ...) from a fresh sample; CPU rates over the last complete window (as the
        hypervisor of ``conn`` counts them, when given)."""
        sample = host_sample(self.proc, self.sys, cpu_times=hypervisor_cpu(conn, self.hz) if conn else None)
        with self._lock:
            self._host = start, end = self._advance(self._host, sample)
        report = host_stats(None, sample, self.hz)
        if start is not None and end is not None:
            rates = host_stats(start, end, self.hz)
            report["cpu"], report["interval"] = rates["cpu"], rates["interval"]
        return report

    def vms(self, conn: libvirt.virConnect, started: Callable[[str], float | None]) -> dict[str, dict]:
        sample = vm_sample(conn)
        with self._lock:
            self._vms = start, end = self._advance(self._vms, sample)
        now = time.time()
        known = {uuid: t for uuid in sample.domains if (t := started(uuid)) is not None}
        latest = vm_stats(None, sample, known, now)
        if start is not None and end is not None:
            for uuid, rates in vm_stats(start, end, {}, now).items():
                if uuid in latest and "cpu" in rates:
                    latest[uuid]["cpu"] = rates["cpu"]
        return latest
