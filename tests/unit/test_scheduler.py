"""The pure scheduler: policy units, rank selection, the built-in policies and the balancers, on snapshots."""

from __future__ import annotations

import re

import pytest

from engine_api.scheduler import balancers
from engine_api.scheduler.model import Group, HostView, Rule, Snapshot, VmView
from engine_api.scheduler.policies import BUILTIN, BUILTIN_BY_ID, NONE_ID, POWER_SAVING_ID, Policy
from engine_api.scheduler.request import PARAMETERS
from engine_api.scheduler.select import schedule
from engine_api.scheduler.units import BY_ID, UNITS, by_name

GiB = 1 << 30
NONE, EVEN = BUILTIN_BY_ID[NONE_ID], BUILTIN_BY_ID["20d25257-b4bd-4589-92a6-c4c5c5d3fd1a"]
POWER, VM_EVEN = BUILTIN_BY_ID[POWER_SAVING_ID], BUILTIN_BY_ID["8d5d7bec-68de-4a67-b53e-0ac54686d579"]
MAINTENANCE = BUILTIN_BY_ID["7677771e-5eab-422e-83fa-dc04080d21b7"]


def host(i: int, memory: int = 8 * GiB, **kw) -> HostView:
    return HostView(f"h{i}", f"host{i}", memory=memory, cpus=4, sockets=1, cores=4, threads=1, **kw)


def running(name: str, on: str, memory: int = GiB, **kw) -> VmView:
    return VmView(f"vm-{name}", name, "up", on, memory, **kw)


def snap(hosts: list[HostView], vms: list[VmView] = (), groups: list[Group] = ()) -> Snapshot:
    return Snapshot("c1", "c1", "4.7", hosts=list(hosts), vms=list(vms), groups=list(groups))


NEW = VmView("vm-new", "new", memory=GiB)


def test_units_and_policies_are_ovirts() -> None:
    assert len({u.id for u in UNITS}) == len(UNITS)
    assert by_name("Memory", "filter").id == "c9ddbb34-0e1d-4061-a8d7-b0893fa80932"
    assert by_name("VmAffinityGroups", "weight").id != by_name("VmAffinityGroups", "filter").id
    for u in UNITS:
        assert all(p in PARAMETERS for p in u.parameters), u.name
    assert [p.name for p in BUILTIN] == ["none", "cluster_maintenance", "evenly_distributed", "power_saving",
                                         "vm_evenly_distributed"]
    assert all(p.locked for p in BUILTIN) and [p.name for p in BUILTIN if p.default] == ["none"]
    names = [BY_ID[u].name for u in NONE.ordered_filters()]
    assert names[0] == "CPU" and names[-1] == "Host-hooks" and len(names) == 15
    assert [BY_ID[u].name for u in MAINTENANCE.ordered_filters()][0] == "ClusterInMaintenance"
    assert dict((BY_ID[u].name, f) for u, f in VM_EVEN.weights)["OptimalForEvenGuestDistribution"] == 2
    assert "OptimalForCpuEvenDistribution" not in [BY_ID[u].name for u, _ in VM_EVEN.weights]
    for policy in BUILTIN:  # default properties match the units' regexes
        for key, value in policy.properties.items():
            assert re.match(PARAMETERS[key], value), (policy.name, key)


def test_rank_selection_sums_ranks_not_weights() -> None:
    """Memory weights 1 GiB apart count as much as 7 GiB apart: only the order matters."""
    hosts = [host(0), host(1), host(2)]
    vms = [running("a", "h0", 7 * GiB), running("b", "h1", GiB), running("c", "h2", 2 * GiB)]
    d = schedule(snap(hosts, vms), NEW, EVEN, explain=True)
    assert d.host == "h1"
    by = {v.host: v for v in d.verdicts}
    mem = {v.host: next(s for s in v.scores if s.unit == "OptimalForMemoryEvenDistribution") for v in d.verdicts}
    assert (mem["h1"].rank, mem["h2"].rank, mem["h0"].rank) == (2, 1, 0)
    assert by["h1"].score > by["h2"].score > by["h0"].score
    # ties share a rank
    d = schedule(snap(hosts, [running("a", "h0", 2 * GiB)]), NEW, EVEN, explain=True)
    ranks = {v.host: next(s.rank for s in v.scores if s.unit == "OptimalForMemoryEvenDistribution")
             for v in d.verdicts}
    assert ranks == {"h0": 0, "h1": 2, "h2": 2} and d.host == "h1"


def test_evenly_distributed_spreads_and_power_saving_packs() -> None:
    hosts = [host(0), host(1), host(2)]
    vms = [running("a", "h0", 3 * GiB), running("b", "h1", GiB)]
    assert schedule(snap(hosts, vms), NEW, EVEN).host == "h2"
    assert schedule(snap(hosts, vms), NEW, POWER).host == "h0"
    # placing VM after VM: the spread fills every host, the packing fills one first
    for policy, expect in ((EVEN, {"h0": 2, "h1": 2, "h2": 2}), (POWER, {"h0": 6})):
        placed: list[VmView] = []
        for i in range(6):
            vm = VmView(f"v{i}", f"v{i}", memory=GiB)
            chosen = schedule(snap(hosts, placed), vm, policy).host
            placed.append(running(f"v{i}", chosen))
        counts: dict[str, int] = {}
        for v in placed:
            counts[v.host] = counts.get(v.host, 0) + 1
        assert counts == expect, policy.name


def test_vm_evenly_distributed_counts_vms() -> None:
    hosts = [host(0, 32 * GiB), host(1), host(2)]
    vms = [running("a", "h0", 256 << 20), running("b", "h0", 256 << 20), running("c", "h1", 6 * GiB)]
    assert schedule(snap(hosts, vms), NEW, VM_EVEN).host == "h2"
    vms.append(running("d", "h2"))
    assert schedule(snap(hosts, vms), NEW, VM_EVEN).host == "h1"  # one VM, little memory left: the count decides


def test_no_host_fault_names_each_hosts_refusing_filter() -> None:
    hosts = [host(0, GiB), host(1), host(2, status="maintenance"), HostView("h3", "host3", memory=8 * GiB, cpus=1)]
    vm = VmView("vm-big", "big", memory=2 * GiB, vcpus=2, affinity="pinned", preferred=("h0", "h3"))
    d = schedule(snap(hosts), vm, NONE)
    assert d.host is None
    assert d.fault() == (
        "Cannot run VM. There is no host that satisfies current scheduling constraints. See below for details:, "
        "The host host0 did not satisfy internal filter Memory because its available memory is too low (1024 MB) "
        "to run the VM., "
        "The host host1 did not satisfy internal filter PinToHost because the host is not present in the pinning "
        "list., "
        "The host host3 did not satisfy internal filter CPU because it has an insufficient amount of CPU cores to "
        "run the VM.")
    assert schedule(snap([host(0, status="maintenance")]), vm, NONE).fault("migrate") == (
        "Cannot migrate VM. There are no hosts to use. Check that the cluster contains at least one host in Up "
        "state.")


def test_pinning_and_preferred_hosts() -> None:
    hosts = [host(0), host(1), host(2)]
    vms = [running("a", "h2", 6 * GiB)]
    prefer = VmView("vm-p", "p", memory=GiB, preferred=("h2",))
    assert schedule(snap(hosts, vms), prefer, NONE).host == "h2"  # PreferredHosts (factor 99) beats memory
    pinned = VmView("vm-p", "p", "up", "h1", GiB, affinity="pinned")
    d = schedule(snap(hosts, [*vms, pinned]), pinned, NONE, migrating=True)
    assert d.host is None and {v.filter for v in d.verdicts} == {"PinToHost"}
    pinned2 = VmView("vm-p", "p", "up", "h1", GiB, affinity="pinned", preferred=("h1", "h2"))
    d = schedule(snap(hosts, [pinned2]), pinned2, NONE, migrating=True)
    assert d.host == "h2"
    assert {v.host: v.filter for v in d.verdicts} == {"h0": "PinToHost", "h1": "Migration", "h2": None}


def group(vms_rule: Rule | None = None, hosts_rule: Rule | None = None, vms=("vm-a", "vm-new"), hosts=()) -> Group:
    return Group("g1", "g1", frozenset(vms), frozenset(hosts), vms_rule or Rule(enabled=False),
                 hosts_rule or Rule(enabled=False))


@pytest.mark.parametrize("enforcing", [True, False])
def test_vm_to_vm_affinity_both_ways(enforcing: bool) -> None:
    """Hard rules override every weight; soft ones weigh (factor 1) and decide between otherwise equal hosts."""
    hosts = [host(0), host(1), host(2)]
    vms = [running("x", "h0"), running("a", "h1"), running("y", "h2")]  # every host holds the same memory
    pos = snap(hosts, vms, [group(Rule(True, True, enforcing))])
    d = schedule(pos, NEW, NONE)
    assert d.host == "h1"
    neg = snap(hosts, vms, [group(Rule(True, False, enforcing), vms=("vm-x", "vm-new"))])
    assert schedule(neg, NEW, NONE).host == "h1"  # h0 runs x; h1 comes before h2 by name
    if enforcing:
        refused = {v.host: (v.filter, v.reason) for v in d.verdicts if v.filter}
        assert refused == {"h0": ("VmAffinityGroups", "it did not match positive affinity rules g1"),
                           "h2": ("VmAffinityGroups", "it did not match positive affinity rules g1")}
        full = snap([host(0), host(1, GiB)], [running("a", "h1", GiB)], [group(Rule(True, True, True))])
        assert schedule(full, NEW, NONE).host is None  # hard: no host rather than a broken rule
        busy = snap(hosts, [running("a", "h1", 6 * GiB)], [group(Rule(True, True, True))])
        assert schedule(busy, NEW, NONE).host == "h1"  # hard: even onto the fullest host
    else:
        full = snap([host(0), host(1, GiB)], [running("a", "h1", GiB)], [group(Rule(True, True, False))])
        assert schedule(full, NEW, NONE).host == "h0"  # soft: another host rather than none


@pytest.mark.parametrize("enforcing", [True, False])
def test_vm_to_host_affinity_both_ways(enforcing: bool) -> None:
    hosts = [host(0), host(1, 2 * GiB), host(2)]
    pos = snap(hosts, [], [group(hosts_rule=Rule(True, True, enforcing), hosts=("h1",))])
    assert schedule(pos, NEW, NONE).host == "h1"
    neg = snap(hosts, [], [group(hosts_rule=Rule(True, False, enforcing), hosts=("h0", "h2"))])
    assert schedule(neg, NEW, NONE).host == "h1"


def test_other_filters() -> None:
    hosts = [host(0, hooks=frozenset({"50_vhostmd"})), host(1), host(2, versions=frozenset({"4.6"}))]
    sap = VmView("vm-s", "s", memory=GiB, sap_agent=True)
    d = schedule(snap(hosts), sap, NONE)
    assert d.host == "h0"
    assert {v.host: v.filter for v in d.verdicts} == {"h0": None, "h1": "Host-hooks",
                                                       "h2": "Compatibility-Version"}
    busy = [host(0, cpu_usage=95.0, cpu_high_for=180.0, cpu_high_min=85.0),
            host(1, cpu_usage=95.0, cpu_high_for=60.0, cpu_high_min=90.0)]  # busy for less than 2 minutes
    d = schedule(snap(busy), NEW, NONE)
    assert d.host == "h1" and d.verdicts[0].filter == "CPUOverloaded"
    swapping = [host(0, swap_total=4 * GiB, swap_free=0, mem_free=GiB), host(1)]
    assert schedule(snap(swapping), NEW, NONE, {"MaximumAllowedSwapUsage": "20"}).host == "h1"
    nets = [host(0, networks=frozenset({"ovirtmgmt"})), host(1, networks=frozenset({"ovirtmgmt", "app"}))]
    assert schedule(snap(nets), VmView("vm-n", "n", memory=GiB, networks=frozenset({"app"})), NONE).host == "h1"
    ha = VmView("vm-ha", "ha", memory=GiB, ha=True)
    assert schedule(snap(hosts[:2]), NEW, MAINTENANCE).host is None
    assert schedule(snap(hosts[:2]), ha, MAINTENANCE).host is not None


def test_balancers() -> None:
    hosts = [host(0), host(1), host(2)]
    vms = [running(f"a{i}", "h0", 256 << 20) for i in range(6)] + [running("b", "h1")]
    props = {"HighVmCount": "4", "MigrationThreshold": "3", "SpmVmGrace": "0"}
    b = balancers.even_guest(snap(hosts, vms), props)
    assert b is not None and b.vm == "vm-a0" and set(b.candidates) == {"h1", "h2"}
    assert "host0 runs 6 VMs" in b.reason
    assert balancers.even_guest(snap(hosts, vms), {**props, "HighVmCount": "7"}) is None
    pinned = [running(f"a{i}", "h0", affinity="user_migratable") for i in range(6)]
    assert balancers.even_guest(snap(hosts, pinned), props) is None  # only migratable VMs move on their own
    packed = [running("a", "h0"), running("b", "h1"), running("c", "h1")]
    pack_props = {"LowUtilization": "0", "MinFreeMemoryForUnderUtilized": "1"}
    b = balancers.power_saving(snap(hosts, packed), pack_props)
    assert b is not None and b.vm == "vm-a" and b.candidates == ("h1",)
    assert balancers.power_saving(snap(hosts, [running("b", "h1"), running("c", "h1")]), pack_props) is None
    over = [running("a", "h0", 7 * GiB), running("b", "h1")]
    b = balancers.even_distribution(snap(hosts, over), {"MaxFreeMemoryForOverUtilized": "2048"})
    assert b is not None and b.vm == "vm-a" and set(b.candidates) == {"h1", "h2"}
    assert balancers.none(snap(hosts, over), {}) is None


def test_custom_policy_without_weights_takes_the_first_host() -> None:
    policy = Policy("p", "p", filters=[(by_name("Memory", "filter").id, 0)])
    assert schedule(snap([host(2), host(1)]), NEW, policy).host == "h1"


def test_monitoring_carries_the_cpu_over_commit_streak_along_the_reports():
    from engine_api.scheduler.model import cpu_streak

    def report(user: float, system: float = 0.0) -> dict:
        return {"host": {"cpu": {"user": user, "system": system, "idle": 100 - user - system}}}

    first, second, third, calm, again = report(70, 5), report(90), report(60, 2), report(40), report(95)
    cpu_streak(None, first, 100.0)
    assert (first["cpu_high_since"], first["cpu_high_min"]) == (100.0, 75.0)
    cpu_streak(first, second, 103.0)
    cpu_streak(second, third, 106.0)
    assert (third["cpu_high_since"], third["cpu_high_min"]) == (100.0, 62.0)  # the streak and its lowest figure
    cpu_streak(third, calm, 109.0)
    assert "cpu_high_since" not in calm  # a report at 50% or below ends it
    cpu_streak(calm, again, 112.0)
    assert again["cpu_high_since"] == 112.0 and again["cpu_high_min"] == 95.0
    quiet: dict = {}
    cpu_streak(again, quiet, 115.0)  # a report without CPU figures (libvirt's test driver node) ends it too
    assert "cpu_high_since" not in quiet
