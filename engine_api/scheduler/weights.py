"""Weight units: each gives every candidate host a weight, lower is better (the rank selector turns weights
into ranks, see :mod:`engine_api.scheduler.select`)."""

from __future__ import annotations

from engine_api.scheduler.filters import _running_hosts
from engine_api.scheduler.model import HostView, MiB, vm_count
from engine_api.scheduler.request import Request

Weights = list[float]
WORST = 10_000.0


def _cpu_load(req: Request, h: HostView, load: dict) -> float:
    """Predicted CPU use of the host in percent: what it reports, plus the VMs being started on it (their
    vCPUs count as busy ones), plus the VM being placed when it is not already there."""
    cpus = h.cpus or 1
    entry = load.get(h.id)
    pending = entry.pending_vcpus if entry else 0
    if req.vm.host != h.id:
        pending += req.vm.vcpus
    return (h.cpu_usage or 0.0) + 100.0 * pending / cpus


def cpu_even(req: Request, hosts: list[HostView]) -> Weights:
    """Lower CPU use is better; hosts past VCpuToPhysicalCpuRatio (when set) come last."""
    ratio = req.number("VCpuToPhysicalCpuRatio")
    load = req.snapshot.load()
    out = []
    for h in hosts:
        weight = _cpu_load(req, h, load)
        if ratio > 0 and h.cpus:
            entry = load.get(h.id)
            vcpus = (entry.vcpus if entry else 0) + (0 if req.vm.host == h.id else req.vm.vcpus)
            if vcpus / h.cpus > ratio:
                weight += WORST
        out.append(weight)
    return out


def memory_even(req: Request, hosts: list[HostView]) -> Weights:
    """More free memory is better."""
    return [-float(req.free(h)) for h in hosts]


def cpu_power_saving(req: Request, hosts: list[HostView]) -> Weights:
    """Higher CPU use is better, as long as the VM keeps the host under HighUtilization."""
    high = req.number("HighUtilization")
    load = req.snapshot.load()
    out = []
    for h in hosts:
        used = _cpu_load(req, h, load)
        out.append(WORST if used > high else high - used)
    return out


def memory_power_saving(req: Request, hosts: list[HostView]) -> Weights:
    """Less free memory is better, as long as the host keeps MaxFreeMemoryForOverUtilized MB free."""
    floor = req.number("MaxFreeMemoryForOverUtilized") * MiB
    out = []
    for h in hosts:
        free = req.free(h) - (0 if req.vm.host == h.id else req.vm.memory)
        out.append(WORST * MiB * 1024 if floor and free < floor else float(free))
    return out


def even_guest(req: Request, hosts: list[HostView]) -> Weights:
    """Fewer VMs is better; the SPM counts as SpmVmGrace more."""
    grace = req.number("SpmVmGrace")
    return [vm_count(req.snapshot, h.id) - (1 if req.vm.host == h.id else 0) + (grace if h.spm else 0)
            for h in hosts]


def preferred_hosts(req: Request, hosts: list[HostView]) -> Weights:
    """When a VM starts, the hosts of its placement policy come first."""
    vm = req.vm
    if req.migrating or not vm.preferred:
        return [0.0] * len(hosts)
    return [0.0 if h.id in vm.preferred else WORST for h in hosts]


def vm_affinity(req: Request, hosts: list[HostView]) -> Weights:
    """Non-enforcing VM-to-VM rules: each rule a host would break weighs the group's priority."""
    weights = [0.0] * len(hosts)
    for g in req.snapshot.groups:
        rule = g.vms_rule
        if not rule.enabled or rule.enforcing or req.vm.id not in g.vms:
            continue
        where = _running_hosts(req, g.vms)
        if not where:
            continue
        for i, h in enumerate(hosts):
            if (h.id in where) != rule.positive:
                weights[i] += g.priority
    return weights


def vm_to_host_affinity(req: Request, hosts: list[HostView]) -> Weights:
    """Non-enforcing VM-to-host rules: each rule a host would break weighs the group's priority."""
    weights = [0.0] * len(hosts)
    for g in req.snapshot.groups:
        rule = g.hosts_rule
        if not rule.enabled or rule.enforcing or req.vm.id not in g.vms:
            continue
        for i, h in enumerate(hosts):
            if (h.id in g.hosts) != rule.positive:
                weights[i] += g.priority
    return weights


def high_performance_cpu(req: Request, hosts: list[HostView]) -> Weights:
    """A high-performance VM prefers hosts with at least its sockets, cores and threads."""
    vm = req.vm
    if vm.type != "high_performance":
        return [0.0] * len(hosts)
    return [0.0 if (h.sockets >= vm.sockets and h.cores >= vm.cores and h.threads >= vm.threads) else 1.0
            for h in hosts]


def ha_reservation(req: Request, hosts: list[HostView]) -> Weights:
    """With the cluster's HA reservation on, hosts running fewer highly available VMs are better."""
    if not req.snapshot.ha_reservation:
        return [0.0] * len(hosts)
    load = req.snapshot.load()
    return [float(sum(1 for v in load[h.id].vms if v.ha) if h.id in load else 0) for h in hosts]


def equal(req: Request, hosts: list[HostView]) -> Weights:
    """Units whose subject this engine does not model (the hosted-engine score, CPU and NUMA pinning): every
    host weighs the same."""
    return [0.0] * len(hosts)
