"""Load-balancing units: each looks at a cluster and proposes at most one VM to move, the hosts it may move to,
and why. The caller places the VM among those hosts with the cluster's policy and migrates it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine_api.scheduler.model import HostView, MiB, Snapshot, VmView, free_memory, vm_count
from engine_api.scheduler.request import number, overloaded


@dataclass(frozen=True)
class Balance:
    vm: str
    candidates: tuple[str, ...]  # host ids
    reason: str


Balancer = Callable[[Snapshot, dict[str, str]], Balance | None]


def _movable(snapshot: Snapshot, host_id: str) -> list[VmView]:
    """VMs the balancer may move off a host: up and migratable by the engine (``user_migratable`` VMs only move
    when a user asks, ``pinned`` ones never), the cheapest to move first."""
    entry = snapshot.load().get(host_id)
    vms = [v for v in (entry.vms if entry else []) if v.status == "up" and v.affinity == "migratable"]
    return sorted(vms, key=lambda v: (v.memory, v.vcpus, v.name))


def _up(snapshot: Snapshot) -> list[HostView]:
    return [h for h in snapshot.hosts if h.status == "up"]


def none(snapshot: Snapshot, props: dict[str, str]) -> Balance | None:
    return None


def even_guest(snapshot: Snapshot, props: dict[str, str]) -> Balance | None:
    """Move a VM off the host with the most VMs (the SPM counting SpmVmGrace more) when it has at least
    HighVmCount, to hosts with at least MigrationThreshold fewer."""
    grace, high = number(props, "SpmVmGrace"), number(props, "HighVmCount")
    threshold = number(props, "MigrationThreshold")
    hosts = _up(snapshot)
    if len(hosts) < 2:
        return None
    slots = {h.id: vm_count(snapshot, h.id) + (grace if h.spm else 0) for h in hosts}
    source = max(hosts, key=lambda h: (slots[h.id], h.name))
    if slots[source.id] < high:
        return None
    targets = [h for h in hosts if h.id != source.id and slots[h.id] <= slots[source.id] - threshold]
    movable = _movable(snapshot, source.id)
    if not targets or not movable:
        return None
    names = ", ".join(h.name for h in sorted(targets, key=lambda h: h.name))
    return Balance(movable[0].id, tuple(h.id for h in targets),
                   f"Host {source.name} runs {vm_count(snapshot, source.id)} VMs (HighVmCount is {high:g}), at least "
                   f"{threshold:g} more than {names}")


def _over_utilized(snapshot: Snapshot, h: HostView, props: dict[str, str]) -> str | None:
    """Why a host is over-utilized, or None."""
    high = number(props, "HighUtilization")
    if overloaded(h, high, number(props, "CpuOverCommitDurationMinutes")):
        return f"its CPU load is over {high:g}%"
    floor = number(props, "MaxFreeMemoryForOverUtilized")
    if floor and free_memory(snapshot, h) < floor * MiB:
        return f"it has less than {floor:g} MB of free memory"
    ratio = number(props, "VCpuToPhysicalCpuRatio")
    entry = snapshot.load().get(h.id)
    if ratio and h.cpus and entry and entry.vcpus / h.cpus > ratio:
        return f"its VMs have more than {ratio:g} virtual CPUs per physical CPU"
    return None


def _under_utilized(snapshot: Snapshot, h: HostView, props: dict[str, str]) -> bool:
    low = number(props, "LowUtilization")
    if h.cpu_usage is not None and h.cpu_usage < low:
        return True
    ceiling = number(props, "MinFreeMemoryForUnderUtilized")
    return bool(ceiling) and free_memory(snapshot, h) > ceiling * MiB


def _relieve(snapshot: Snapshot, props: dict[str, str]) -> Balance | None:
    hosts = _up(snapshot)
    over = {h.id: why for h in hosts if (why := _over_utilized(snapshot, h, props))}
    targets = [h for h in hosts if h.id not in over]
    for source in sorted((h for h in hosts if h.id in over), key=lambda h: (free_memory(snapshot, h), h.name)):
        movable = _movable(snapshot, source.id)
        if movable and targets:
            return Balance(movable[0].id, tuple(h.id for h in targets),
                           f"Host {source.name} is over-utilized: {over[source.id]}")
    return None


def even_distribution(snapshot: Snapshot, props: dict[str, str]) -> Balance | None:
    """Move a VM off an over-utilized host (CPU over HighUtilization, free memory under
    MaxFreeMemoryForOverUtilized, vCPUs per CPU over VCpuToPhysicalCpuRatio) to hosts that are not."""
    return _relieve(snapshot, props)


def power_saving(snapshot: Snapshot, props: dict[str, str]) -> Balance | None:
    """Relieve over-utilized hosts first; then empty an under-utilized host (CPU under LowUtilization or free
    memory over MinFreeMemoryForUnderUtilized): its VMs go to hosts neither over- nor under-utilized, else to
    under-utilized hosts already running at least as many VMs (packing, never back and forth)."""
    relief = _relieve(snapshot, props)
    if relief is not None:
        return relief
    hosts = _up(snapshot)
    if any(_over_utilized(snapshot, h, props) for h in hosts):
        return None
    under = [h for h in hosts if _under_utilized(snapshot, h, props) and vm_count(snapshot, h.id)]
    normal = [h for h in hosts if not _under_utilized(snapshot, h, props)]
    for source in sorted(under, key=lambda h: (vm_count(snapshot, h.id), h.name)):
        movable = _movable(snapshot, source.id)
        if not movable:
            continue
        targets = normal or [h for h in under if h.id != source.id
                             and (vm_count(snapshot, h.id), h.name) > (vm_count(snapshot, source.id), source.name)]
        if targets:
            return Balance(movable[0].id, tuple(h.id for h in targets),
                           f"Host {source.name} is under-utilized; its VMs are packed onto fewer hosts")
    return None
