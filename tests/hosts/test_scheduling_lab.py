"""Scheduling on three lab hosts: each built-in policy's effect (spread, pack, VM-count balance reached by the
load-balancing loop one migration per cycle), hard and soft affinity both ways, pinning, the no-host fault that
names each host's refusing filter, and the placement explanation."""

from __future__ import annotations

import itertools
import time
from collections import Counter

import httpx
import ovirtsdk4 as sdk
import ovirtsdk4.types as t
import pytest

from engine_api.rest.typed_members import read_answer
from tests import live
from tests.hosts.helpers import Estate, MiB, connect, ensure_estate, wait_for

_n = itertools.count(1)
BALANCE_SECONDS = 1.5


@pytest.fixture(scope="module")
def lab3(tmp_path_factory):
    server = live.start(tmp_path_factory.mktemp("lab3"), lab_hosts=3,
                        config={"monitor_interval": 0.5, "non_responsive_timeout": 3.0,
                                "vds_load_balancing_interval_in_minutes": BALANCE_SECONDS / 60})
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def conn(lab3):
    connection = connect(lab3)
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def estate(lab3, conn, tmp_path_factory) -> Estate:
    est = ensure_estate(lab3, conn, str(tmp_path_factory.getbasetemp() / "nfs3"))
    assert len(est.host_ids) == 3
    yield est
    for vm in est.system.vms_service().list(search="name=sched*"):
        est.destroy_vm(vm.id)
    for g in _groups(est).list():
        _groups(est).group_service(g.id).remove()
    _policy(est, "none")


def _cluster(est: Estate) -> sdk.services.ClusterService:
    cluster = est.system.clusters_service().list(search="name=Default")[0]
    return est.system.clusters_service().cluster_service(cluster.id)


def _groups(est: Estate) -> sdk.services.AffinityGroupsService:
    return _cluster(est).affinity_groups_service()


def _policy(est: Estate, name: str, **props: str) -> None:
    policy = [p for p in est.system.scheduling_policies_service().list() if p.name == name][0]
    _cluster(est).update(t.Cluster(
        scheduling_policy=t.SchedulingPolicy(id=policy.id),
        custom_scheduling_policy_properties=[t.Property(name=k, value=v) for k, v in props.items()] or None))


def _vm(est: Estate, memory: int = 128 * MiB, **kw) -> str:
    vm = est.system.vms_service().add(t.Vm(
        name=f"sched{next(_n)}", cluster=t.Cluster(name="Default"), template=t.Template(name="Blank"),
        memory=memory, memory_policy=t.MemoryPolicy(guaranteed=memory, max=memory), **kw))
    return vm.id


def _host_of(est: Estate, vm_id: str) -> int:
    return est.index_of(est.vm(vm_id).get().host.id)


def _explain(est: Estate, vm_id: str) -> dict:
    r = httpx.post(f"{est.live.url}/vms/{vm_id}/placement", json={}, auth=(est.live.username, est.live.password),
                   headers={"Accept": "application/json", "Version": "4"}, timeout=30)
    assert r.status_code == 200, r.text
    return read_answer(r.json(), f"vms/{vm_id}/placement")["placement"]  # integers and booleans come as strings


def test_policies_spread_and_pack(estate: Estate) -> None:
    _policy(estate, "evenly_distributed")
    spread = [_vm(estate) for _ in range(3)]
    for vm in spread:
        estate.start_on(vm)
    assert sorted(_host_of(estate, vm) for vm in spread) == [0, 1, 2]
    _policy(estate, "power_saving")
    packed = [_vm(estate) for _ in range(3)]
    for vm in packed:
        estate.start_on(vm)
    assert len({_host_of(estate, vm) for vm in packed}) == 1


def test_vm_count_balanced_by_the_loop_one_migration_per_cycle(estate: Estate) -> None:
    index = last_event(estate)
    vms = [_vm(estate) for _ in range(4)]
    for vm in vms:
        estate.start_on(vm, 0)
    _policy(estate, "vm_evenly_distributed", HighVmCount="2", MigrationThreshold="2", SpmVmGrace="0")
    deadline = time.monotonic() + 60
    most_migrating = 0
    while time.monotonic() < deadline:
        states = [estate.vm(vm).get() for vm in vms]
        most_migrating = max(most_migrating, sum(v.status == t.VmStatus.MIGRATING for v in states))
        counts = Counter(estate.index_of(v.host.id) for v in states if v.status == t.VmStatus.UP)
        if sum(counts.values()) == 4 and max(counts.values()) - min(counts.get(i, 0) for i in range(3)) < 2:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"not balanced: {counts}")
    assert most_migrating <= 1  # one migration per cluster per cycle
    events = [e for e in estate.system.events_service().list(from_=index, max=1000) if e.code == 67]
    assert len(events) == 2 and all("Reason: Load balancing: Host lab0 runs" in e.description for e in events)
    time.sleep(3 * BALANCE_SECONDS)  # balanced: the loop leaves it alone
    assert len([e for e in estate.system.events_service().list(from_=index, max=1000) if e.code == 67]) == 2


def last_event(est: Estate) -> int:
    events = est.system.events_service().list(max=1)
    return int(events[0].index) if events else 0


@pytest.mark.parametrize("enforcing", [True, False])
def test_affinity_both_ways(estate: Estate, enforcing: bool) -> None:
    if not enforcing:  # soft rules weigh: a policy that weighs them more than memory shows it plainly
        policies = estate.system.scheduling_policies_service()
        found = [p for p in policies.list() if p.name == "affinity_first"]
        policy = found[0] if found else policies.add(t.SchedulingPolicy(name="affinity_first"))
        service = policies.policy_service(policy.id)
        if not found:
            units = {(u.name, str(u.type)): u.id for u in estate.system.scheduling_policy_units_service().list()}
            for name in ("Memory", "VmAffinityGroups"):
                service.filters_service().add(t.Filter(scheduling_policy_unit=t.SchedulingPolicyUnit(
                    id=units[(name, "filter")])))
            for name, factor in (("VmAffinityGroups", 10), ("OptimalForMemoryEvenDistribution", 1)):
                service.weights_service().add(t.Weight(scheduling_policy_unit=t.SchedulingPolicyUnit(
                    id=units[(name, "weight")]), factor=factor))
        _policy(estate, "affinity_first")
    a, b, c = _vm(estate), _vm(estate), _vm(estate)
    estate.start_on(a, 1)
    rule = t.AffinityRule(enabled=True, positive=True, enforcing=enforcing)
    _groups(estate).add(t.AffinityGroup(name=f"together{next(_n)}", vms_rule=rule, vms=[t.Vm(id=a), t.Vm(id=b)]))
    estate.start_on(b)
    assert _host_of(estate, b) == 1  # with a, although lab1 has the least free memory
    rule = t.AffinityRule(enabled=True, positive=False, enforcing=enforcing)
    _groups(estate).add(t.AffinityGroup(name=f"apart{next(_n)}", vms_rule=rule, vms=[t.Vm(id=a), t.Vm(id=c)]))
    estate.start_on(c, None)
    assert _host_of(estate, c) != 1
    host_rule = t.AffinityRule(enabled=True, positive=True, enforcing=enforcing)
    d = _vm(estate)
    _groups(estate).add(t.AffinityGroup(name=f"onlab2{next(_n)}", hosts_rule=host_rule, vms=[t.Vm(id=d)],
                                        hosts=[t.Host(id=estate.host_ids[2])]))
    if enforcing:
        estate.start_on(d)
        assert _host_of(estate, d) == 2
    else:
        assert _explain(estate, d)["host"]["id"] in estate.host_ids


def test_pinning_and_the_no_host_fault(estate: Estate) -> None:
    pinned = _vm(estate, placement_policy=t.VmPlacementPolicy(affinity=t.VmAffinity.PINNED,
                                                              hosts=[t.Host(id=estate.host_ids[2])]))
    estate.start_on(pinned)
    assert _host_of(estate, pinned) == 2
    with pytest.raises(sdk.Error) as moved:
        estate.vm(pinned).migrate()
    assert "Cannot migrate VM. There is no host that satisfies current scheduling constraints" in str(moved.value)
    assert "The host lab0 did not satisfy internal filter PinToHost because the host is not present in the " \
           "pinning list." in str(moved.value)
    assert "The host lab2 did not satisfy internal filter Migration because it currently hosts the VM." \
           in str(moved.value)
    biggest = max(estate.host(i).memory for i in range(3))
    huge = _vm(estate, memory=2 * biggest)
    with pytest.raises(sdk.Error) as refused:
        estate.vm(huge).start()
    text = str(refused.value)
    assert "Cannot run VM. There is no host that satisfies current scheduling constraints. See below for details:" \
           in text
    for i in range(3):
        assert f"The host lab{i} did not satisfy internal filter Memory because its available memory is too low (" \
               in text
    assert estate.vm(huge).get().status == t.VmStatus.DOWN


def test_explanation_starts_nothing(estate: Estate) -> None:
    _policy(estate, "evenly_distributed")
    busy = _vm(estate, memory=512 * MiB)
    estate.start_on(busy, 0)
    vm = _vm(estate)
    plan = _explain(estate, vm)
    assert plan["host"]["id"] != estate.host_ids[0] and plan["migration"] is False
    by_name = {h["name"]: h for h in plan["hosts"]["placement_host"]}
    assert set(by_name) == {"lab0", "lab1", "lab2"}
    weights = {w["name"]: w for w in by_name["lab0"]["weights"]["placement_weight"]}
    assert weights["OptimalForMemoryEvenDistribution"]["rank"] == 0
    assert estate.vm(vm).get().status == t.VmStatus.DOWN
    wait_for(lambda: estate.vm(busy).get().status, lambda s: s == t.VmStatus.UP)
    plan = _explain(estate, busy)  # a running VM: where it would move
    assert plan["migration"] is True
    assert {h["name"]: h.get("filter") for h in plan["hosts"]["placement_host"]}["lab0"] == "Migration"
