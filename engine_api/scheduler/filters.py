"""Filter units: each takes the request and the hosts still in the running and returns the hosts it refuses,
with oVirt's reason (the text after "because"), or "" when oVirt gives none."""

from __future__ import annotations

from engine_api.scheduler.model import HostView, MiB
from engine_api.scheduler.request import Request, overloaded

Refusals = dict[str, str]

SAP_AGENT_HOOK = "50_vhostmd"


def pin_to_host(req: Request, hosts: list[HostView]) -> Refusals:
    """A pinned VM runs only on its placement hosts; a pinned VM with no hosts named cannot move."""
    vm = req.vm
    if vm.affinity != "pinned":
        return {}
    reason = "the host is not present in the pinning list"
    if vm.preferred:
        return {h.id: reason for h in hosts if h.id not in vm.preferred}
    if not req.migrating:
        return {}
    return {h.id: reason for h in hosts}


def cpu(req: Request, hosts: list[HostView]) -> Refusals:
    need = req.vm.vcpus
    return {h.id: "it has an insufficient amount of CPU cores to run the VM" for h in hosts if h.cpus and h.cpus < need}


def memory(req: Request, hosts: list[HostView]) -> Refusals:
    out = {}
    need = req.vm.memory
    for h in hosts:
        free = req.free(h)
        if free < need:
            out[h.id] = f"its available memory is too low ({max(free, 0) // MiB} MB) to run the VM"
    return out


def network(req: Request, hosts: list[HostView]) -> Refusals:
    """The networks of the VM's NICs must be on the host (hosts whose networks are not tracked pass)."""
    wanted = req.vm.networks
    if not wanted:
        return {}
    out = {}
    for h in hosts:
        if h.networks is not None and not wanted <= h.networks:
            missing = ", ".join(sorted(wanted - h.networks))
            out[h.id] = f"network(s) {missing} are missing"
    return out


def migration(req: Request, hosts: list[HostView]) -> Refusals:
    if not req.migrating:
        return {}
    return {h.id: "it currently hosts the VM" for h in hosts if h.id == req.vm.host}


def hosted_engine_ha(req: Request, hosts: list[HostView]) -> Refusals:
    """Only the hosted-engine VM is concerned; this engine runs none, so it refuses nothing."""
    return {}


def cpu_overloaded(req: Request, hosts: list[HostView]) -> Refusals:
    high, minutes = req.number("HighUtilization"), req.number("CpuOverCommitDurationMinutes")
    return {h.id: "its CPU is too loaded" for h in hosts if overloaded(h, high, minutes)}


def swap(req: Request, hosts: list[HostView]) -> Refusals:
    if req.vm.status == "paused":
        return {}
    allowed = req.number("MaximumAllowedSwapUsage")
    out = {}
    for h in hosts:
        if None in (h.swap_total, h.swap_free, h.mem_free) or not h.mem_free or not h.memory:
            continue
        used = (h.swap_total - h.swap_free - h.mem_free) * 100 / h.memory  # type: ignore[operator]
        if used > allowed:
            out[h.id] = "it is swapping too much"
    return out


def cluster_in_maintenance(req: Request, hosts: list[HostView]) -> Refusals:
    """Only highly available VMs start (migrations go on)."""
    if req.migrating or req.vm.ha:
        return {}
    reason = "the cluster is in maintenance and only highly available VMs are allowed to start"
    return {h.id: reason for h in hosts}


def compatibility_version(req: Request, hosts: list[HostView]) -> Refusals:
    version = req.snapshot.version
    out = {}
    for h in hosts:
        if version and h.versions is not None and version not in h.versions:
            supported = ", ".join(sorted(h.versions))
            out[h.id] = (f"it doesn't support compatibility version '{version}' which is required by the VM. "
                         f"Host supported compatibility versions are: {supported}")
    return out


def host_hooks(req: Request, hosts: list[HostView]) -> Refusals:
    if not req.vm.sap_agent:
        return {}
    reason = f"the host does not contain required VDS hook {SAP_AGENT_HOOK}"
    return {h.id: reason for h in hosts if SAP_AGENT_HOOK not in h.hooks}


def _running_hosts(req: Request, vm_ids: frozenset[str]) -> set[str]:
    """Where the other VMs of a group run now."""
    return {v.host for v in req.snapshot.vms if v.id in vm_ids and v.id != req.vm.id and v.host
            and v.status in ("up", "migrating", "powering_up", "wait_for_launch", "paused", "reboot_in_progress")}


def vm_affinity(req: Request, hosts: list[HostView]) -> Refusals:
    """Enforcing VM-to-VM rules: positive keeps the group's VMs together, negative apart."""
    positive: dict[str, set[str]] = {}  # host -> names of the positive rules it breaks
    negative: dict[str, set[str]] = {}
    for g in req.snapshot.groups:
        rule = g.vms_rule
        if not (rule.enabled and rule.enforcing) or req.vm.id not in g.vms:
            continue
        where = _running_hosts(req, g.vms)
        if not where:
            continue
        for h in hosts:
            if rule.positive and h.id not in where:
                positive.setdefault(h.id, set()).add(g.name)
            elif not rule.positive and h.id in where:
                negative.setdefault(h.id, set()).add(g.name)
    out = {}
    for h in hosts:
        if h.id in negative:
            out[h.id] = f"it matched negative affinity rules {', '.join(sorted(negative[h.id]))}"
        elif h.id in positive:
            out[h.id] = f"it did not match positive affinity rules {', '.join(sorted(positive[h.id]))}"
    return out


def vm_to_host_affinity(req: Request, hosts: list[HostView]) -> Refusals:
    """Enforcing VM-to-host rules: positive runs the group's VMs on its hosts, negative off them."""
    out: Refusals = {}
    for g in req.snapshot.groups:
        rule = g.hosts_rule
        if not (rule.enabled and rule.enforcing) or req.vm.id not in g.vms:
            continue
        for h in hosts:
            if rule.positive and h.id not in g.hosts:
                out.setdefault(h.id, f"it did not match positive affinity rules {g.name}")
            elif not rule.positive and h.id in g.hosts:
                out.setdefault(h.id, f"it matched negative affinity rules {g.name}")
    return out


def nothing_to_check(req: Request, hosts: list[HostView]) -> Refusals:
    """Units whose subject this engine does not model (emulated machines, vNUMA, huge pages, the hosted-engine
    spares, TSC frequencies): no VM asks for them, so no host is refused."""
    return {}
