"""The planner as tables: (desired, current facts) → expected steps. Pure and fast: no engine, no Ansible."""

from __future__ import annotations

import pytest
from ansible_collections.vdc.infra.plugins.module_utils.errors import PlanError
from ansible_collections.vdc.infra.plugins.module_utils.planner import Desired, plan

GiB = 1024**3


def D(kind: str, state: str = "present", owns: tuple[str, ...] = (), **values) -> Desired:  # noqa: N802
    return Desired(kind, values, state, owns=owns)


DC1 = {"id": "dc-1", "name": "dc1", "description": "", "local": False, "compatibility_version": "4.7"}
C1 = {"id": "c-1", "name": "c1", "data_center": "dc1", "cpu_type": "Intel Nehalem Family", "description": "old",
      "ksm": True}
BLANK = {"id": "t-0", "name": "Blank"}
VM1 = {"id": "vm-1", "name": "web1", "cluster": "c1", "memory": GiB, "cpu_cores": 1, "status": "down",
       "custom_properties": [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]}
BASE = {"data_center": [DC1], "cluster": [C1], "template": [BLANK], "vm": [VM1]}


def summary(p):
    """Each step as (op, entity, changed fields or action), for compact expectations."""
    out = []
    for s in p.steps:
        detail = s.action if s.op == "action" else sorted(s.changes) if s.op == "update" else None
        out.append((s.op, s.label, detail) if detail is not None else (s.op, s.label))
    return out


CASES = {
    "create when missing": (
        [D("data_center", name="dc2", description="lab")], BASE,
        [("create", "data center 'dc2'")]),
    "no-op when the declared fields match": (
        [D("data_center", name="dc1", compatibility_version="4.7")], BASE,
        [("noop", "data center 'dc1'")]),
    "update only the declared fields that differ": (
        [D("cluster", name="c1", data_center="dc1", cpu_type="Intel Nehalem Family", description="new")], BASE,
        [("update", "cluster 'c1'", ["description"])]),
    "an unspecified field is not compared": (
        [D("cluster", name="c1")], BASE,
        [("noop", "cluster 'c1'")]),
    "an explicit empty value makes it empty": (
        [D("cluster", name="c1", description="")], BASE,
        [("update", "cluster 'c1'", ["description"])]),
    "empty equals missing": (
        [D("data_center", name="dc1", comment="")], BASE,
        [("noop", "data center 'dc1'")]),
    "absent deletes": (
        [D("vm", "absent", name="web1")], BASE,
        [("delete", "VM 'web1'")]),
    "absent and missing is a no-op": (
        [D("vm", "absent", name="ghost")], BASE,
        [("noop", "VM 'ghost'")]),
    "dependency order, whatever the declaration order": (
        [D("nic", name="nic1", vm="web2", profile="app"), D("vm", name="web2", cluster="c2"),
         D("network", name="app", data_center="dc2"), D("cluster", name="c2", data_center="dc2"),
         D("data_center", name="dc2")],
        BASE,
        [("create", "data center 'dc2'"), ("create", "cluster 'c2'"), ("create", "network 'app'"),
         ("create", "VM 'web2'"), ("create", "NIC 'nic1' of VM 'web2'")]),
    "running starts a stopped VM": (
        [D("vm", "running", name="web1")], BASE,
        [("action", "VM 'web1'", "start")]),
    "running leaves an up VM alone": (
        [D("vm", "running", name="web1")], {**BASE, "vm": [{**VM1, "status": "up"}]},
        [("noop", "VM 'web1'")]),
    "a new VM that should run is created then started": (
        [D("vm", "running", name="web2", cluster="c1")], BASE,
        [("create", "VM 'web2'"), ("action", "VM 'web2'", "start")]),
    "a running VM is stopped before removal": (
        [D("vm", "absent", name="web1")], {**BASE, "vm": [{**VM1, "status": "up"}]},
        [("action", "VM 'web1'", "stop"), ("delete", "VM 'web1'")]),
    "unordered lists compare as sets": (
        [D("vm", name="web1", custom_properties=[{"name": "b", "value": "2"}, {"name": "a", "value": "1"}])], BASE,
        [("noop", "VM 'web1'")]),
    "a disk grows": (
        [D("disk", name="d1", vm="web1", size=2 * GiB)],
        {**BASE, "disk": [{"id": "d-1", "name": "d1", "vm": "web1", "size": GiB, "storage_domain": "data"}]},
        [("update", "disk 'd1' of VM 'web1'", ["size"])]),
    "exclusive removes undeclared children": (
        [D("vm", name="web1", owns=("disk", "nic")), D("nic", name="nic1", vm="web1")],
        {**BASE, "nic": [{"id": "n-1", "name": "nic1", "vm": "web1"}, {"id": "n-2", "name": "nic2", "vm": "web1"},
                         {"id": "n-3", "name": "nic9", "vm": "other"}]},
        [("delete", "NIC 'nic2' of VM 'web1'"), ("noop", "VM 'web1'"), ("noop", "NIC 'nic1' of VM 'web1'")]),
    "without exclusive, undeclared children stay": (
        [D("vm", name="web1"), D("nic", name="nic1", vm="web1")],
        {**BASE, "nic": [{"id": "n-1", "name": "nic1", "vm": "web1"}, {"id": "n-2", "name": "nic2", "vm": "web1"}]},
        [("noop", "VM 'web1'"), ("noop", "NIC 'nic1' of VM 'web1'")]),
    "a network is found by name within its data center": (
        [D("network", name="app", data_center="dc2", mtu=9000)],
        {**BASE, "data_center": [DC1, {"id": "d2", "name": "dc2"}],
         "network": [{"id": "n1", "name": "app", "data_center": "dc1", "mtu": 1500},
                             {"id": "n2", "name": "app", "data_center": "dc2", "mtu": 9000}]},
        [("noop", "network 'app'")]),
    "storage present: attach, then activate": (
        [D("storage_domain", name="sd1", data_center="dc1", nfs={"address": "nas", "path": "/e"})],
        {**BASE, "storage_domain": [{"id": "s1", "name": "sd1", "nfs": {"address": "nas", "path": "/e"},
                                     "data_center": None, "status": "unattached"}]},
        [("action", "storage domain 'sd1'", "attach"), ("action", "storage domain 'sd1'", "activate")]),
    # Attaching activates the domain at once when a host is up (as oVirt does), so maintenance deactivates it
    # in the same run; otherwise the first run would end active and the second would deactivate it.
    "storage maintenance: attach, then deactivate": (
        [D("storage_domain", "maintenance", name="sd1", data_center="dc1")],
        {**BASE, "storage_domain": [{"id": "s1", "name": "sd1", "data_center": None, "status": "unattached"}]},
        [("action", "storage domain 'sd1'", "attach"), ("action", "storage domain 'sd1'", "deactivate")]),
    "storage maintenance, new: create, attach, then deactivate": (
        [D("storage_domain", "maintenance", name="sd1", data_center="dc1", nfs={"address": "nas", "path": "/e"})],
        BASE,
        [("create", "storage domain 'sd1'"), ("action", "storage domain 'sd1'", "attach"),
         ("action", "storage domain 'sd1'", "deactivate")]),
    "storage maintenance when attached and active: deactivate": (
        [D("storage_domain", "maintenance", name="sd1", data_center="dc1")],
        {**BASE, "storage_domain": [{"id": "s1", "name": "sd1", "data_center": "dc1", "status": "active"}]},
        [("action", "storage domain 'sd1'", "deactivate")]),
    "storage maintenance without a data center: no attach, nothing to deactivate": (
        [D("storage_domain", "maintenance", name="sd1")],
        {**BASE, "storage_domain": [{"id": "s1", "name": "sd1", "data_center": None, "status": "unattached"}]},
        [("noop", "storage domain 'sd1'")]),
    "storage maintenance when attached in maintenance: no-op": (
        [D("storage_domain", "maintenance", name="sd1", data_center="dc1")],
        {**BASE, "storage_domain": [{"id": "s1", "name": "sd1", "data_center": "dc1", "status": "maintenance"}]},
        [("noop", "storage domain 'sd1'")]),
    "storage absent: deactivate, detach, remove": (
        [D("storage_domain", "absent", name="sd1")],
        {**BASE, "storage_domain": [{"id": "s1", "name": "sd1", "data_center": "dc1", "status": "active"}]},
        [("action", "storage domain 'sd1'", "deactivate"), ("action", "storage domain 'sd1'", "detach"),
         ("delete", "storage domain 'sd1'")]),
    "an unassigned network is assigned to a cluster": (
        [D("cluster_network", name="app", cluster="c1", data_center="dc1", required=False)],
        {**BASE, "network": [{"id": "n1", "name": "app", "data_center": "dc1"}], "cluster_network": []},
        [("create", "network assignment 'app' of cluster 'c1'")]),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_plan(case):
    desired, current, expected = CASES[case]
    assert summary(plan(desired, current)) == expected


def test_every_step_has_a_reason():
    p = plan([D("data_center", name="dc1"), D("data_center", name="dc9"), D("vm", "absent", name="web1")], BASE)
    assert all(s.reason for s in p.steps)
    assert [s.reason for s in p.steps if s.op == "noop"] == ["exists; no comparable field declared"]


def test_update_diff_holds_before_and_after_of_declared_fields_only():
    p = plan([D("vm", name="web1", memory=2 * GiB, cpu_cores=1)], BASE)
    (step,) = p.steps
    assert step.changes == {"memory": {"before": GiB, "after": 2 * GiB}}
    assert step.values == {"memory": 2 * GiB}
    assert p.changed


def test_nothing_to_do_is_not_changed():
    assert not plan([D("vm", name="web1", memory=GiB)], BASE).changed


@pytest.mark.parametrize(("desired", "current", "message"), [
    ([D("cluster", name="c1", data_center="dc2")], {**BASE, "data_center": [DC1, {"id": "d2", "name": "dc2"}]},
     "cluster 'c1': data_center cannot be changed after creation"),
    ([D("vm", name="web2", cluster="nope")], BASE, "VM 'web2': cluster: cluster 'nope' does not exist"),
    ([D("vm", name="web2")], BASE, "VM 'web2': cluster is required to create it"),
    ([D("disk", name="d1", vm="web1", size=GiB)],
     {**BASE, "disk": [{"id": "d-1", "name": "d1", "vm": "web1", "size": 2 * GiB}]},
     "disk 'd1' of VM 'web1': size can only grow (it is 2GiB, declared 1GiB)"),
    ([D("network", name="app", mtu=1)],
     {**BASE, "network": [{"id": "n1", "name": "app", "data_center": "dc1"},
                          {"id": "n2", "name": "app", "data_center": "dc2"}]},
     "network 'app': the name matches 2 entities; declare data_center to pick one"),
    ([D("storage_domain", name="sd1", data_center="dc2")],
     {**BASE, "storage_domain": [{"id": "s1", "name": "sd1", "data_center": "dc1", "status": "active"}]},
     "storage domain 'sd1': is attached to data center dc1, not dc2"),
])
def test_refusals_name_the_entity_and_field(desired, current, message):
    with pytest.raises(PlanError) as e:
        plan(desired, current)
    assert str(e.value).startswith(message)


def test_a_reference_to_an_entity_declared_in_the_same_plan_is_fine():
    p = plan([D("cluster", name="c9", data_center="dc9"), D("data_center", name="dc9")], BASE)
    assert summary(p) == [("create", "data center 'dc9'"), ("create", "cluster 'c9'")]


def test_create_sends_defaults_the_user_left_out():
    (create,) = plan([D("vm", name="web2", cluster="c1")], BASE).steps
    assert create.values == {"template": "Blank", "name": "web2", "cluster": "c1"}
