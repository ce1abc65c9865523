"""What the scheduler sees: a snapshot of one cluster (its hosts, the VMs placed on them, its affinity groups)
and the VM to place. Plain frozen data, built by the command layer from the store and the hosts' last reports;
nothing here reads or writes anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter

# A VM in one of these statuses holds resources on its host.
ACTIVE = frozenset({"up", "powering_up", "wait_for_launch", "migrating", "paused", "reboot_in_progress",
                    "powering_down", "restoring_state", "saving_state", "unknown", "not_responding"})
# A VM in one of these statuses is being started: it holds resources it does not show in its host's report yet.
PENDING = frozenset({"wait_for_launch", "powering_up", "restoring_state"})
MiB = 1 << 20


@dataclass(frozen=True)
class Rule:
    """One side of an affinity group's rules (``vms_rule`` or ``hosts_rule``)."""

    enabled: bool = True
    positive: bool = True
    enforcing: bool = True


@dataclass(frozen=True)
class Group:
    """An affinity group: its VMs and hosts (ids, labels already expanded) and its two rules."""

    id: str
    name: str
    vms: frozenset[str]
    hosts: frozenset[str]
    vms_rule: Rule = Rule(enabled=False)
    hosts_rule: Rule = Rule(enabled=False)
    priority: float = 1.0


@dataclass(frozen=True)
class HostView:
    id: str
    name: str
    status: str = "up"
    memory: int = 0  # bytes the scheduler may give to VMs (max_scheduling_memory)
    cpus: int = 0  # logical CPUs the cluster counts (threads only when it counts threads as cores)
    sockets: int = 0
    cores: int = 0
    threads: int = 0
    cpu_usage: float | None = None  # percent (user + system) in the host's last report
    cpu_high_for: float = 0.0  # seconds the reports have shown the CPU use above 50% without a break
    cpu_high_min: float = 0.0  # the lowest CPU use (percent) reported during that time
    swap_total: int | None = None
    swap_free: int | None = None
    mem_free: int | None = None
    hooks: frozenset[str] = frozenset()  # names of the hook scripts installed on the host
    networks: frozenset[str] | None = None  # networks the host carries; None: not tracked
    versions: frozenset[str] | None = None  # cluster levels it supports ("4.7"); None: any
    spm: bool = False


@dataclass(frozen=True)
class VmView:
    id: str
    name: str
    status: str = "down"
    host: str | None = None  # where it runs
    memory: int = 0
    vcpus: int = 1
    sockets: int = 1
    cores: int = 1
    threads: int = 1
    ha: bool = False
    affinity: str = "migratable"  # placement_policy.affinity: migratable | user_migratable | pinned
    preferred: tuple[str, ...] = ()  # placement_policy.hosts (ids)
    type: str = "server"
    sap_agent: bool = False  # custom property sap_agent=true: needs the 50_vhostmd hook
    networks: frozenset[str] = frozenset()  # networks of its NICs
    hosted_engine: bool = False


@dataclass
class Snapshot:
    """One cluster as the scheduler sees it."""

    cluster_id: str
    cluster_name: str = ""
    version: str = ""
    overcommit: int = 100  # memory_policy.over_commit.percent
    ha_reservation: bool = False
    hosts: list[HostView] = field(default_factory=list)
    vms: list[VmView] = field(default_factory=list)  # every VM of the cluster (a placement: those on a host)
    groups: list[Group] = field(default_factory=list)
    _load: dict[str, Load] | None = field(default=None, repr=False)

    def load(self) -> dict[str, Load]:
        """What the active VMs hold on each host (computed once per snapshot)."""
        if self._load is None:
            by_host: dict[str, list[VmView]] = {h.id: [] for h in self.hosts}
            active = ACTIVE
            for vm in self.vms:
                host = vm.host
                if host is not None and vm.status in active:
                    found = by_host.get(host)
                    if found is None:
                        found = by_host[host] = []
                    found.append(vm)
            memory, vcpus = attrgetter("memory"), attrgetter("vcpus")
            self._load = {
                host: Load(sum(map(memory, vms)), sum(map(vcpus, vms)),
                           sum(v.vcpus for v in vms if v.status in PENDING), vms)
                for host, vms in by_host.items()}
        return self._load

    def host(self, host_id: str) -> HostView | None:
        return next((h for h in self.hosts if h.id == host_id), None)

    def vm(self, vm_id: str) -> VmView | None:
        return next((v for v in self.vms if v.id == vm_id), None)


@dataclass(slots=True)
class Load:
    memory: int = 0
    vcpus: int = 0
    pending_vcpus: int = 0
    vms: list[VmView] = field(default_factory=list)


def free_memory(snapshot: Snapshot, host: HostView, vm: VmView | None = None,
                load: dict[str, Load] | None = None) -> int:
    """Bytes of the host's schedulable memory (with the cluster's overcommit) not held by its VMs; a VM being
    placed again (migration) does not count against itself."""
    entry = (load if load is not None else snapshot.load()).get(host.id)
    used = entry.memory if entry else 0
    if vm is not None and vm.host == host.id and vm.status in ACTIVE:
        used -= vm.memory
    return host.memory * snapshot.overcommit // 100 - used


def vm_count(snapshot: Snapshot, host_id: str) -> int:
    entry = snapshot.load().get(host_id)
    return len(entry.vms) if entry else 0


HIGH_FLOOR = 50.0  # the lowest HighUtilization a policy may set: CPU streaks above it are tracked


def cpu_used(report: dict | None) -> float | None:
    """A host report's CPU use (user + system, percent), or None when it has none."""
    cpu = ((report or {}).get("host") or {}).get("cpu")
    return float(cpu.get("user", 0)) + float(cpu.get("system", 0)) if cpu else None


def cpu_streak(previous: dict | None, report: dict, now: float) -> None:
    """Carry oVirt's CPU over-commit duration along a host's reports: since when they show its CPU above 50%
    without a break (``cpu_high_since``) and the lowest figure since (``cpu_high_min``)."""
    usage = cpu_used(report)
    if usage is None or usage <= HIGH_FLOOR:
        return
    since = (previous or {}).get("cpu_high_since")
    report["cpu_high_since"] = since or now
    report["cpu_high_min"] = min(usage, float((previous or {}).get("cpu_high_min", usage))) if since else usage
