"""Placement through the cluster's policy: the snapshot the scheduler reads (from the store and the hosts' last
reports), the choice for a start, a migration or an HA restart, and its explanation without starting anything.
"""

from __future__ import annotations

import time

from engine_api.commands.external_runtime import External
from engine_api.commands.scheduling import cluster_policy
from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.core.errors import Conflict
from engine_api.scheduler.model import Group, HostView, Rule, Snapshot, VmView
from engine_api.scheduler.policies import Policy
from engine_api.scheduler.select import Decision, schedule
from engine_api.scheduler.units import BY_ID
from engine_api.store.schema import col

MOVING = {"up", "migrating", "paused", "powering_up", "reboot_in_progress", "powering_down", "not_responding"}
def _topology(doc: dict) -> dict:
    return (doc.get("cpu") or {}).get("topology") or {}


def host_view(h: dict, report: dict | None, threads_as_cores: bool, now: float | None = None) -> HostView:
    t = _topology(h)
    sockets, cores, threads = int(t.get("sockets") or 0), int(t.get("cores") or 0), int(t.get("threads") or 1)
    host = (report or {}).get("host") or {}
    cpu, memory, swap = host.get("cpu") or {}, host.get("memory") or {}, host.get("swap") or {}
    usage = float(cpu.get("user", 0)) + float(cpu.get("system", 0)) if cpu else None
    since = (report or {}).get("cpu_high_since")  # stamped by monitoring on every report (see cpu_streak)
    high_for, high_min = (0.0, 0.0)
    if report is not None and since:
        high_for, high_min = (now or time.time()) - since, float(report["cpu_high_min"])
    return HostView(
        h["id"], h["name"], h.get("status") or "", int(h.get("max_scheduling_memory") or h.get("memory") or 0),
        sockets * cores * (threads if threads_as_cores else 1), sockets, cores, threads, usage, high_for, high_min,
        swap.get("total"), swap.get("free"), memory.get("free"),
        frozenset(str(k.get("name")) for k in h.get("_hooks") or [] if isinstance(k, dict)),
        spm=(h.get("spm") or {}).get("status") == "spm")


def vm_view(vm: dict, networks: frozenset[str] = frozenset()) -> VmView:
    t = _topology(vm)
    sockets, cores, threads = int(t.get("sockets") or 1), int(t.get("cores") or 1), int(t.get("threads") or 1)
    placement = vm.get("placement_policy") or {}
    props = {p.get("name"): str(p.get("value", "")) for p in vm.get("custom_properties") or [] if isinstance(p, dict)}
    return VmView(
        vm["id"], vm.get("name") or "", vm.get("status") or "down", (vm.get("host") or {}).get("id"),
        int(vm.get("memory") or 0), sockets * cores * threads, sockets, cores, threads,
        bool((vm.get("high_availability") or {}).get("enabled")), placement.get("affinity") or "migratable",
        tuple(h["id"] for h in placement.get("hosts") or [] if isinstance(h, dict) and h.get("id")),
        vm.get("type") or "server", props.get("sap_agent", "").lower() == "true", networks)


def _networks(tx: Tx, vm: dict) -> frozenset[str]:
    names = set()
    for nic in tx.find_by("nic", vm_id=vm["id"]):
        profile = tx.get("vnic_profile", (nic.get("vnic_profile") or {}).get("id") or "")
        net = tx.get("network", profile["network"]["id"]) if profile else None
        if net:
            names.add(net["name"])
    return frozenset(names)


def _rule(doc: dict | None) -> Rule:
    doc = doc or {}
    return Rule(bool(doc.get("enabled", True)), bool(doc.get("positive", True)), bool(doc.get("enforcing", True)))


def groups(tx: Tx, cluster_id: str) -> list[Group]:
    """The cluster's affinity groups, their labels expanded to the VMs and hosts that carry them."""
    found = tx.find_by("affinity_group", cluster_id=cluster_id)
    if not found:
        return []
    labels = {lab["id"]: lab for lab in tx.find("affinity_label")}
    out = []
    for g in found:
        vms, hosts = set(g.get("_vms") or []), set(g.get("_hosts") or [])
        for lab in g.get("_vm_labels") or []:
            vms.update((labels.get(lab) or {}).get("_vms") or [])
        for lab in g.get("_host_labels") or []:
            hosts.update((labels.get(lab) or {}).get("_hosts") or [])
        out.append(Group(g["id"], g["name"], frozenset(vms), frozenset(hosts), _rule(g.get("vms_rule")),
                         _rule(g.get("hosts_rule")), float(g.get("priority") or 1)))
    return out


def snapshot(tx: Tx, cluster: dict, hosted_only: bool = False) -> Snapshot:
    """The cluster as the scheduler sees it. ``hosted_only``: only the VMs that are on a host, the only ones a
    placement weighs (what they hold, where a group's VMs run); the cluster's down VMs are not read, so a start
    costs the cluster's running VMs, not all of them."""
    engine = tx.ctx.engine if tx.ctx is not None else None
    stats = engine.host_stats if engine is not None else {}
    threads = bool(cluster.get("threads_as_cores"))
    hosts = [host_view(h, stats.get(h["id"]), threads)
             for h in tx.find_by("host", cluster_id=cluster["id"])]
    where = col("vm", "cluster_id") == cluster["id"]
    if hosted_only:
        where = where & col("vm", "host_id").isnot(None)
    vms = [vm_view(v) for v in tx.find("vm", where)]
    version = cluster.get("version") or {}
    overcommit = ((cluster.get("memory_policy") or {}).get("over_commit") or {}).get("percent") or 100
    return Snapshot(cluster["id"], cluster.get("name") or "", f"{version.get('major', '')}.{version.get('minor', '')}",
                    int(overcommit), bool(cluster.get("ha_reservation")), hosts, vms, groups(tx, cluster["id"]))


def decide(tx: Tx, vm: dict, exclude: set[str] | None = None, wanted: dict | None = None,
           candidates: set[str] | None = None, explain: bool = False, balancing: bool = False) -> Decision:
    """Where the cluster's policy puts ``vm``: started (a VM that is down), or moved away from its host (a running
    VM). ``wanted``: the host asked for; ``candidates``: the hosts a balancer allows."""
    cluster = tx.must("cluster", vm["cluster"]["id"])
    snap = snapshot(tx, cluster, hosted_only=True)
    policy, props = cluster_policy(tx.conn, cluster)
    view = vm_view(vm, _networks(tx, vm))
    migrating = vm.get("status") in MOVING and bool(view.host)
    if wanted:
        host = tx.ref("host", wanted, "action.host")
        if host["cluster"]["id"] != cluster["id"]:
            raise Conflict(f"Host {host['name']} is not in cluster {cluster['name']} of VM {vm['name']}.")
        candidates = {host["id"]} if candidates is None else candidates & {host["id"]}
    drop = set(exclude or ()) - ({view.host} if migrating and view.host else set())
    return schedule(snap, view, policy, props, candidates=candidates, exclude=drop, migrating=migrating,
                    balancing=balancing, explain=explain, external=external_units(tx, policy, cluster))


def external_units(tx: Tx, policy: Policy, cluster: dict):
    """The runner of the policy's external units for this decision, or None when it has none."""
    ids = [u for u, _ in policy.filters] + [u for u, _ in policy.weights] + [policy.balance or ""]
    if tx.ctx is None or all(not u or u in BY_ID for u in ids):
        return None
    return External(tx.ctx.engine, tx.conn, cluster.get("name") or "")


def place(tx: Tx, vm: dict, exclude: set[str] | None = None, wanted: dict | None = None,
          candidates: set[str] | None = None) -> dict:
    """The host to run (or move) ``vm`` on; none fits: oVirt's fault naming each host's refusing filter."""
    decision = decide(tx, vm, exclude, wanted, candidates)
    if decision.host is None:
        running = vm.get("status") in MOVING and bool(vm.get("host"))
        raise Conflict(decision.fault("migrate" if running else "run"))
    return tx.must("host", decision.host)


# ---------------------------------------------------------------- the explanation (a vdc extension)


def explanation(tx: Tx, vm_id: str) -> dict:
    vm = tx.must("vm", vm_id)
    cluster = tx.must("cluster", vm["cluster"]["id"])
    policy, _ = cluster_policy(tx.conn, cluster)
    decision = decide(tx, vm, explain=True)
    running = vm.get("status") in MOVING and bool(vm.get("host"))
    doc: dict = {"vm": {"id": vm_id}, "scheduling_policy": {"id": policy.id}, "migration": running, "hosts": []}
    if decision.host:
        doc["host"] = {"id": decision.host}
    else:
        doc["fault"] = decision.fault("migrate" if running else "run")
    for v in decision.verdicts:
        entry: dict = {"host": {"id": v.host}, "name": v.name, "status": v.status, "selected": v.host == decision.host,
                       "score": v.score}
        if v.filter:
            entry["filter"] = v.filter
        if v.reason:
            entry["reason"] = v.reason
        if v.scores:
            entry["weights"] = [{"name": s.unit, "factor": s.factor, "weight": s.weight, "rank": s.rank}
                                for s in v.scores]
        doc["hosts"].append(entry)
    return doc


def explain(ctx: Context, parent: dict | None, vm: dict, action: dict) -> dict:
    """``POST /vms/{id}/placement``: where the VM would run (or move) now and why, per host; nothing starts."""
    with ctx.engine.db.read() as conn:
        return {"placement": explanation(Tx(conn, ctx), vm["id"])}
