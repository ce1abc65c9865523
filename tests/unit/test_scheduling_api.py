"""The Scheduling API through the real REST API, in-process: policy units, built-in and custom policies with their
filters, weights and balances, oVirt's validation faults, clusters choosing a policy, and placement through it
(hosts here are rows without agents: placement is decided and explained, nothing is launched)."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from engine_api.commands.tx import Tx
from tests.unit.inprocess import Api, GiB, engine_api, fault, named

NONE_ID = "b4ed2332-a7ac-4d5f-9596-99a439cb2812"
UNIT = {"CPU": "6d636bf6-a35c-4f9d-b68d-0731f720cddc", "Memory": "c9ddbb34-0e1d-4061-a8d7-b0893fa80932",
        "Network": "72163d1c-9468-4480-99d9-0888664eb143", "Swap": "43b9e654-337f-4b0d-a896-cbb22ce5a7fc",
        "EvenGuest": "3ba8c988-f779-42c0-90ce-caa8243edee7", "MemEven": "4134247a-9c58-4b9a-8593-530bb9e37c59",
        "EvenGuestBalance": "d58c8e32-44e1-418f-9222-52cd887bf9e0", "None": "38440000-8cf0-14bd-c43e-10b96e4ef00a"}
_n = itertools.count(1)


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> Iterator[Api]:
    with engine_api(tmp_path_factory.mktemp("engine")) as client:
        yield client


def _policy(api: Api, name: str | None = None, extra: str = "") -> str:
    name = name or f"custom{next(_n)}"
    return api.created("/schedulingpolicies", f"<scheduling_policy><name>{name}</name>{extra}"
                                              "</scheduling_policy>").attrib["id"]


def _filter(unit: str, position: int | None = None) -> str:
    pos = f"<position>{position}</position>" if position is not None else ""
    return f'<filter><scheduling_policy_unit id="{unit}"/>{pos}</filter>'


def test_policy_units_are_ovirts(api: Api) -> None:
    units = {(u.findtext("name"), u.findtext("type")): u for u in api.items("/schedulingpolicyunits")}
    for name in ("PinToHost", "CPU", "Memory", "Network", "Migration", "HA", "CPUOverloaded", "Swap",
                 "ClusterInMaintenance", "Compatibility-Version", "Host-hooks", "VmAffinityGroups",
                 "VmToHostsAffinityGroups"):
        assert (name, "filter") in units, name
    for name in ("OptimalForCpuEvenDistribution", "OptimalForMemoryEvenDistribution", "OptimalForCpuPowerSaving",
                 "OptimalForMemoryPowerSaving", "OptimalForEvenGuestDistribution", "PreferredHosts",
                 "VmAffinityGroups", "VmToHostsAffinityGroups"):
        assert (name, "weight") in units, name
    for name in ("OptimalForEvenDistribution", "OptimalForPowerSaving", "OptimalForEvenGuestDistribution", "None"):
        assert (name, "load_balancing") in units, name
    mem = units[("Memory", "filter")]
    assert mem.attrib["id"] == UNIT["Memory"] and mem.findtext("internal") == "true"
    assert mem.findtext("description") == "Filters out hosts that have insufficient memory to run the VM"
    balancer = units[("OptimalForEvenGuestDistribution", "load_balancing")]
    props = {p.findtext("name"): p.findtext("value") for p in balancer.findall("properties/property")}
    assert props == {"SpmVmGrace": "^([0-9]|[1-9][0-9]+)$", "HighVmCount": "^([0-9]|[1-9][0-9]+)$",
                     "MigrationThreshold": "^([2-9]|[1-9][0-9]+)$"}
    assert api.one(f"/schedulingpolicyunits/{UNIT['Swap']}").findtext("name") == "Swap"


def test_builtin_policies(api: Api) -> None:
    policies = {p.findtext("name"): p for p in api.items("/schedulingpolicies")}
    assert {"none", "evenly_distributed", "power_saving", "vm_evenly_distributed", "cluster_maintenance"} <= set(
        policies)
    none = policies["none"]
    assert none.attrib["id"] == NONE_ID and none.findtext("locked") == "true"
    assert none.findtext("default_policy") == "true"
    assert {lk.attrib["rel"] for lk in none.findall("link")} >= {"filters", "weights", "balances"}
    filters = api.items(f"/schedulingpolicies/{NONE_ID}/filters")
    assert len(filters) == 15
    positions = {f.find("scheduling_policy_unit").attrib["id"]: f.findtext("position") for f in filters}
    assert positions[UNIT["CPU"]] == "-1" and list(positions.values()).count("1") == 1
    weights = {w.attrib["id"]: w.findtext("factor") for w in api.items(f"/schedulingpolicies/{NONE_ID}/weights")}
    assert weights[UNIT["MemEven"]] == "1" and len(weights) == 9
    (balance,) = api.items(f"/schedulingpolicies/{NONE_ID}/balances")
    assert balance.attrib["id"] == UNIT["None"]
    vm_even = policies["vm_evenly_distributed"]
    props = {p.findtext("name"): p.findtext("value") for p in vm_even.findall("properties/property")}
    assert props["HighVmCount"] == "10" and props["MigrationThreshold"] == "5" and props["SpmVmGrace"] == "5"


def test_custom_policy_crud_through_sub_collections(api: Api) -> None:
    pid = _policy(api, "packing", "<description>fill hosts</description>")
    base = f"/schedulingpolicies/{pid}"
    assert api.one(base).findtext("locked") == "false"
    api.created(f"{base}/filters", _filter(UNIT["Memory"], -1))
    api.created(f"{base}/filters", _filter(UNIT["CPU"]))
    api.created(f"{base}/filters", _filter(UNIT["Network"], 1))
    w = api.created(f"{base}/weights", f'<weight><scheduling_policy_unit id="{UNIT["EvenGuest"]}"/>'
                                       "<factor>3</factor></weight>")
    assert w.attrib["id"] == UNIT["EvenGuest"] and w.findtext("factor") == "3"
    api.created(f"{base}/balances", f'<balance><scheduling_policy_unit id="{UNIT["EvenGuestBalance"]}"/></balance>')
    assert [b.attrib["id"] for b in api.items(f"{base}/balances")] == [UNIT["EvenGuestBalance"]]
    assert {f.attrib["id"]: f.findtext("position") for f in api.items(f"{base}/filters")} == {
        UNIT["Memory"]: "-1", UNIT["CPU"]: "0", UNIT["Network"]: "1"}
    api.removed(f"{base}/filters/{UNIT['CPU']}")
    assert len(api.items(f"{base}/filters")) == 2
    r = api.put(base, "<scheduling_policy><name>packing2</name><properties><property><name>HighVmCount</name>"
                      "<value>3</value></property></properties></scheduling_policy>")
    assert r.status_code == 200, r.text
    doc = api.one(base)
    assert doc.findtext("name") == "packing2" and doc.findtext("properties/property/value") == "3"
    api.removed(f"{base}/weights/{UNIT['EvenGuest']}")
    assert api.items(f"{base}/weights") == []
    api.removed(base)
    assert api.gone(base)


def test_policy_validation_faults(api: Api) -> None:
    pid = _policy(api)
    base = f"/schedulingpolicies/{pid}"
    name = api.one(base).findtext("name")
    fault(api.post("/schedulingpolicies", f"<scheduling_policy><name>{name}</name></scheduling_policy>"), 409,
          "Cannot add Scheduling Policy. Name is in use.")
    fault(api.post("/schedulingpolicies", "<scheduling_policy><name>none</name></scheduling_policy>"), 409,
          "Name is in use")
    fault(api.post(f"{base}/filters", _filter("11111111-2222-3333-4444-555555555555")), 400,
          "Cannot edit Scheduling Policy. Policy unit is unknown", "filter")
    fault(api.post(f"{base}/filters", _filter(UNIT["MemEven"])), 400,
          "Policy unit doesn't implement Filtering", "OptimalForMemoryEvenDistribution")
    fault(api.post(f"{base}/weights", f'<weight><scheduling_policy_unit id="{UNIT["Memory"]}"/></weight>'), 400,
          "doesn't implement score function")
    fault(api.post(f"{base}/balances", f'<balance><scheduling_policy_unit id="{UNIT["Memory"]}"/></balance>'), 400,
          "doesn't implement load balancing logic")
    api.created(f"{base}/filters", _filter(UNIT["Memory"], -1))
    fault(api.post(f"{base}/filters", _filter(UNIT["Memory"])), 400, "policy unit already exists", "Memory")
    fault(api.post(f"{base}/filters", _filter(UNIT["CPU"], -1)), 400, "Only a single filter can be selected as first")
    api.created(f"{base}/filters", _filter(UNIT["CPU"], 1))
    fault(api.post(f"{base}/filters", _filter(UNIT["Swap"], 1)), 400, "Only a single filter can be selected as last")
    fault(api.post(f"{base}/weights", f'<weight><scheduling_policy_unit id="{UNIT["MemEven"]}"/>'
                                      "<factor>-1</factor></weight>"), 400, "Function factor cannot be negative")
    fault(api.post(f"{base}/weights", f'<weight><scheduling_policy_unit id="{UNIT["MemEven"]}"/>'
                                      "<factor>x</factor></weight>"), 400, "factor")
    api.created(f"{base}/filters", _filter(UNIT["Swap"], 0))
    fault(api.put(base, "<scheduling_policy><properties><property><name>MaximumAllowedSwapUsage</name>"
                        "<value>1000</value></property></properties></scheduling_policy>"), 400,
          "Parameters are invalid", "MaximumAllowedSwapUsage", "1000")
    fault(api.put(base, "<scheduling_policy><properties><property><name>HighVmCount</name><value>3</value>"
                        "</property></properties></scheduling_policy>"), 400, "HighVmCount",
          "not a parameter of the policy's units")
    # locked built-in policies
    fault(api.put(f"/schedulingpolicies/{NONE_ID}", "<scheduling_policy><name>x</name></scheduling_policy>"), 409,
          "Cannot edit Scheduling Policy. Scheduling Policy is locked, and cannot be editable.")
    fault(api.post(f"/schedulingpolicies/{NONE_ID}/filters", _filter(UNIT["Swap"])), 409, "locked")
    fault(api.delete(f"/schedulingpolicies/{NONE_ID}/weights/{UNIT['MemEven']}"), 409, "locked")
    fault(api.delete(f"/schedulingpolicies/{NONE_ID}"), 409, "Cannot remove Scheduling Policy", "locked")
    # a policy in use cannot be removed
    cluster = named(api, "clusters", "Default").attrib["id"]
    assert api.put(f"/clusters/{cluster}", f'<cluster><scheduling_policy id="{pid}"/></cluster>').status_code == 200
    fault(api.delete(base), 409, "Cannot remove Scheduling Policy. Scheduling Policy is attached to cluster(s): "
                                 "Default, please unassign cluster(s).")
    assert api.put(f"/clusters/{cluster}", f'<cluster><scheduling_policy id="{NONE_ID}"/></cluster>').status_code == 200
    api.removed(base)


def test_cluster_policy_and_properties(api: Api) -> None:
    cluster = named(api, "clusters", "Default").attrib["id"]
    path = f"/clusters/{cluster}"
    assert api.one(path).find("scheduling_policy").attrib["id"] == NONE_ID
    r = api.put(path, "<cluster><scheduling_policy><name>vm_evenly_distributed</name></scheduling_policy></cluster>")
    assert r.status_code == 200, r.text
    doc = api.one(path)
    props = {p.findtext("name"): p.findtext("value")
             for p in doc.findall("custom_scheduling_policy_properties/property")}
    assert props["HighVmCount"] == "10"  # a new policy brings its parameters
    r = api.put(path, "<cluster><custom_scheduling_policy_properties><property><name>HighVmCount</name>"
                      "<value>2</value></property></custom_scheduling_policy_properties></cluster>")
    assert r.status_code == 200, r.text
    fault(api.put(path, "<cluster><custom_scheduling_policy_properties><property><name>HighVmCount</name>"
                        "<value>many</value></property></custom_scheduling_policy_properties></cluster>"), 400,
          "cluster.custom_scheduling_policy_properties", "HighVmCount")
    fault(api.put(path, "<cluster><scheduling_policy><name>nosuch</name></scheduling_policy></cluster>"), 400,
          "cluster.scheduling_policy", "nosuch")
    assert api.put(path, f'<cluster><scheduling_policy id="{NONE_ID}"/></cluster>').status_code == 200


# ---------------------------------------------------------------- placement through the policy


def _host(api: Api, cluster: str, name: str, memory: int) -> str:
    with api.engine.db.write() as conn:
        return Tx(conn, None).insert("host", {
            "name": name, "status": "up", "memory": memory, "max_scheduling_memory": memory,
            "cpu": {"topology": {"sockets": 1, "cores": 4, "threads": 1}}, "cluster": {"id": cluster},
            "address": "192.0.2.1", "spm": {"status": "none"}})["id"]


def _vm(api: Api, cluster_name: str, memory: int, on: str | None = None) -> str:
    name = f"sched{next(_n)}"
    vm = api.created("/vms", f"<vm><name>{name}</name><cluster><name>{cluster_name}</name></cluster>"
                             f"<template><name>Blank</name></template><memory>{memory}</memory></vm>")
    if on:
        with api.engine.db.write() as conn:
            tx = Tx(conn, None)
            doc = tx.must("vm", vm.attrib["id"])
            doc.update(status="up", host={"id": on})
            tx.update("vm", doc)
    return vm.attrib["id"]


@pytest.fixture(scope="module")
def placed(api: Api) -> dict[str, str]:
    """A cluster of three hosts of 8 GiB: host a runs 5 GiB of VMs, b 1 GiB, c 3 GiB."""
    dc = named(api, "datacenters", "Default").attrib["id"]
    cid = api.created("/clusters", f'<cluster><name>sched</name><data_center id="{dc}"/>'
                                   "<cpu><type>Intel Nehalem Family</type></cpu></cluster>").attrib["id"]
    hosts = {n: _host(api, cid, f"sched-{n}", 8 * GiB) for n in "abc"}
    _vm(api, "sched", 5 * GiB, hosts["a"])
    _vm(api, "sched", GiB, hosts["b"])
    _vm(api, "sched", 3 * GiB, hosts["c"])
    return {"cluster": cid, **hosts}


def _explain(api: Api, vm: str) -> ET.Element:
    r = api.post(f"/vms/{vm}/placement")
    assert r.status_code == 200, r.text
    return ET.fromstring(r.content).find("placement")


@pytest.mark.parametrize(("policy", "expect"), [("evenly_distributed", "b"), ("power_saving", "a"),
                                                ("none", "b")])
def test_the_clusters_policy_decides(api: Api, placed: dict[str, str], policy: str, expect: str) -> None:
    r = api.put(f"/clusters/{placed['cluster']}",
                f"<cluster><scheduling_policy><name>{policy}</name></scheduling_policy></cluster>")
    assert r.status_code == 200, r.text
    vm = _vm(api, "sched", GiB)
    doc = _explain(api, vm)
    assert doc.find("host").attrib["id"] == placed[expect], ET.tostring(doc)
    by_host = {h.find("host").attrib["id"]: h for h in doc.findall("hosts/placement_host")}
    assert by_host[placed[expect]].findtext("selected") == "true"
    weights = {w.findtext("name"): w for w in by_host[placed["b"]].findall("weights/placement_weight")}
    mem = "OptimalForMemoryPowerSaving" if policy == "power_saving" else "OptimalForMemoryEvenDistribution"
    assert weights[mem].findtext("rank") == ("0" if policy == "power_saving" else "2")
    assert api.one(f"/vms/{vm}").findtext("status") == "down"  # explaining starts nothing


def test_no_host_fault_names_each_hosts_refusing_filter(api: Api, placed: dict[str, str]) -> None:
    vm = _vm(api, "sched", 6 * GiB)
    r = api.put(f"/vms/{vm}", f'<vm><placement_policy><affinity>pinned</affinity><hosts><host id="{placed["a"]}"/>'
                              "</hosts></placement_policy></vm>")
    assert r.status_code == 200, r.text
    detail = fault(api.post(f"/vms/{vm}/start"), 409)
    expected = (
        "Cannot run VM. There is no host that satisfies current scheduling constraints. See below for details:, "
        "The host sched-a did not satisfy internal filter Memory because its available memory is too low (3072 MB) "
        "to run the VM., "
        "The host sched-b did not satisfy internal filter PinToHost because the host is not present in the pinning "
        "list., "
        "The host sched-c did not satisfy internal filter PinToHost because the host is not present in the pinning "
        "list.")
    assert detail == f"[{expected}]"  # oVirt's brackets around a fault's detail
    assert api.one(f"/vms/{vm}").findtext("status") == "down"
    doc = _explain(api, vm)
    assert doc.find("host") is None and doc.findtext("fault") == expected
    refusals = {h.findtext("name"): (h.findtext("filter"), h.findtext("reason"))
                for h in doc.findall("hosts/placement_host")}
    assert refusals["sched-b"] == ("PinToHost", "the host is not present in the pinning list")
    (last,) = api.items("/events", {"max": "1"})
    assert last.findtext("severity") == "error" and "did not satisfy internal filter" in last.findtext("description")


# ---------------------------------------------------------------- affinity groups and labels


def test_affinity_labels(api: Api, placed: dict[str, str]) -> None:
    label = api.created("/affinitylabels", "<affinity_label><name>web</name></affinity_label>")
    lid = label.attrib["id"]
    assert label.findtext("read_only") == "false"
    assert {lk.attrib["rel"] for lk in label.findall("link")} >= {"vms", "hosts"}
    fault(api.post("/affinitylabels", "<affinity_label><name>web</name></affinity_label>"), 409,
          "conflicting NAME")
    fault(api.post("/affinitylabels", "<affinity_label><name>no spaces</name></affinity_label>"), 400,
          "Only letters, numbers")
    vm = _vm(api, "sched", GiB)
    api.created(f"/affinitylabels/{lid}/vms", f'<vm id="{vm}"/>')
    api.created(f"/affinitylabels/{lid}/hosts", f'<host id="{placed["a"]}"/>')
    assert [v.attrib["id"] for v in api.items(f"/affinitylabels/{lid}/vms")] == [vm]
    assert [lab.attrib["id"] for lab in api.items(f"/vms/{vm}/affinitylabels")] == [lid]
    assert [lab.attrib["id"] for lab in api.items(f"/hosts/{placed['a']}/affinitylabels")] == [lid]
    api.removed(f"/vms/{vm}/affinitylabels/{lid}")
    assert api.items(f"/affinitylabels/{lid}/vms") == []
    api.created(f"/vms/{vm}/affinitylabels", f'<affinity_label id="{lid}"/>')
    assert [v.attrib["id"] for v in api.items(f"/affinitylabels/{lid}/vms")] == [vm]
    assert api.put(f"/affinitylabels/{lid}", "<affinity_label><name>web2</name></affinity_label>").status_code == 200
    api.removed(f"/affinitylabels/{lid}")


def _group(api: Api, cluster: str, body: str) -> ET.Element:
    return api.created(f"/clusters/{cluster}/affinitygroups",
                       f"<affinity_group><name>g{next(_n)}</name>{body}</affinity_group>")


@pytest.mark.parametrize("enforcing", ["true", "false"])
def test_vm_affinity_groups_steer_placement(api: Api, placed: dict[str, str], enforcing: str) -> None:
    """Host a is the fullest: memory alone would never choose it; a positive rule with a VM there does."""
    cid = placed["cluster"]
    assert api.put(f"/clusters/{cid}", f'<cluster><scheduling_policy id="{NONE_ID}"/></cluster>').status_code == 200
    on_a, vm = _vm(api, "sched", 256 << 20, placed["a"]), _vm(api, "sched", GiB)
    g = _group(api, cid, f"<vms_rule><enabled>true</enabled><positive>true</positive><enforcing>{enforcing}"
                         f'</enforcing></vms_rule><vms><vm id="{on_a}"/><vm id="{vm}"/></vms>')
    gid = g.attrib["id"]
    assert g.findtext("positive") == "true" and g.findtext("enforcing") == enforcing
    assert sorted(v.attrib["id"] for v in g.findall("vms/vm")) == sorted([on_a, vm])
    doc = _explain(api, vm)
    if enforcing == "true":
        assert doc.find("host").attrib["id"] == placed["a"]
        refused = {h.findtext("name"): h.findtext("filter") for h in doc.findall("hosts/placement_host")}
        assert refused["sched-b"] == "VmAffinityGroups"
    else:  # soft: the affinity weight ranks a first, the memory weights rank it last
        scores = {h.findtext("name"): {w.findtext("name"): w.findtext("rank") for w in h.findall("weights/*")}
                  for h in doc.findall("hosts/placement_host")}
        assert scores["sched-a"]["VmAffinityGroups"] == "2" and scores["sched-b"]["VmAffinityGroups"] == "1"
    # negative: away from the VM on a
    r = api.put(f"/clusters/{cid}/affinitygroups/{gid}", "<affinity_group><vms_rule><positive>false</positive>"
                                                         "</vms_rule></affinity_group>")
    assert r.status_code == 200, r.text
    assert _explain(api, vm).find("host").attrib["id"] != placed["a"]
    api.removed(f"/clusters/{cid}/affinitygroups/{gid}")


def test_vm_to_host_affinity_and_labels(api: Api, placed: dict[str, str]) -> None:
    cid = placed["cluster"]
    vm = _vm(api, "sched", GiB)
    label = api.created("/affinitylabels", "<affinity_label><name>fullest</name></affinity_label>").attrib["id"]
    api.created(f"/affinitylabels/{label}/hosts", f'<host id="{placed["a"]}"/>')
    api.created(f"/affinitylabels/{label}/vms", f'<vm id="{vm}"/>')
    g = _group(api, cid, "<hosts_rule><enabled>true</enabled><positive>true</positive><enforcing>true</enforcing>"
                         f'</hosts_rule><vm_labels><affinity_label id="{label}"/></vm_labels>'
                         f'<host_labels><affinity_label id="{label}"/></host_labels>')
    assert _explain(api, vm).find("host").attrib["id"] == placed["a"]
    hosts = api.items(f"/clusters/{cid}/affinitygroups/{g.attrib['id']}/hostlabels")
    assert [h.attrib["id"] for h in hosts] == [label]
    api.removed(f"/clusters/{cid}/affinitygroups/{g.attrib['id']}")
    api.removed(f"/affinitylabels/{label}")


def test_affinity_group_faults_and_broken(api: Api, placed: dict[str, str]) -> None:
    cid = placed["cluster"]
    default = named(api, "clusters", "Default").attrib["id"]
    a1, a2 = _vm(api, "sched", 256 << 20, placed["a"]), _vm(api, "sched", 256 << 20, placed["b"])
    g = _group(api, cid, "")
    base = f"/clusters/{cid}/affinitygroups/{g.attrib['id']}"
    assert g.findtext("vms_rule/enabled") == "false" and g.findtext("priority") == "1.0"
    fault(api.post(f"/clusters/{cid}/affinitygroups",
                   f"<affinity_group><name>{g.findtext('name')}</name></affinity_group>"), 409,
          "Cannot add Affinity Group. Affinity Group name already exists.")
    other = _vm(api, "Default", GiB)
    fault(api.post(f"{base}/vms", f'<vm id="{other}"/>'), 409, "Provided VM resides in another Cluster.")
    fault(api.post(f"{base}/vms", '<vm id="11111111-2222-3333-4444-555555555555"/>'), 400,
          "Provided VM is invalid (does not exist).")
    api.created(f"{base}/vms", f'<vm id="{a1}"/>')
    fault(api.post(f"{base}/vms", f'<vm id="{a1}"/>'), 409, "Duplicate VM.")
    # a VM whose running peers already break the hard rule is let in, and the group says it is broken
    api.created(f"{base}/vms", f'<vm id="{a2}"/>')
    r = api.put(base, "<affinity_group><positive>true</positive><enforcing>true</enforcing></affinity_group>")
    assert r.status_code == 200, r.text
    assert api.one(base).findtext("broken") == "true"
    # two VMs kept together by one enforcing group cannot be kept apart by another
    fault(api.post(f"/clusters/{cid}/affinitygroups",
                   f"<affinity_group><name>apart</name><positive>false</positive><enforcing>true</enforcing>"
                   f'<vms><vm id="{a1}"/><vm id="{a2}"/></vms></affinity_group>'), 409,
          "Affinity Group collision detected")
    assert api.get(f"/clusters/{default}/affinitygroups").status_code == 200
    api.removed(base)
