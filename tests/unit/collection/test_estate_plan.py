"""An estate turned into planner entries, and the deletes it adds: pruning, teardown, ownership. Pure."""

from __future__ import annotations

import pytest
from ansible_collections.vdc.infra.plugins.module_utils.errors import PlanError
from ansible_collections.vdc.infra.plugins.module_utils.estate.converge import ApplyOptions, desired_now
from ansible_collections.vdc.infra.plugins.module_utils.estate.flatten import flatten, selected
from ansible_collections.vdc.infra.plugins.module_utils.estate.owner import marked, owner, unmarked
from ansible_collections.vdc.infra.plugins.module_utils.estate.prune import check_ownership
from ansible_collections.vdc.infra.plugins.module_utils.estate.report import counts, plan_text, totals
from ansible_collections.vdc.infra.plugins.module_utils.estate.source import inline
from ansible_collections.vdc.infra.plugins.module_utils.estate.validate import validate
from ansible_collections.vdc.infra.plugins.module_utils.planner import plan

DOC = {
    "data_centers": [{"name": "dc1", "clusters": [{"name": "c1", "hosts": [{"name": "hv1", "address": "10.0.0.1"}]}],
                      "storage_domains": [{"name": "iso", "type": "iso", "nfs": {"address": "nas", "path": "/iso"}},
                                          {"name": "data", "master": True, "nfs": {"address": "nas", "path": "/d"}}],
                      "networks": [{"name": "app", "clusters": ["c1"], "comment": "front"}]}],
    "vms": [{"name": "web1", "cluster": "c1", "disks": [{"name": "web1_os", "size": "1GiB", "storage_domain": "data"}],
             "nics": [{"name": "nic1", "network": "app"}]}],
}
MARK = "vdc-estate:lab"


def entries(doc=DOC, estate="lab"):
    return flatten(validate(inline(doc)), estate)


def test_the_marker_ends_the_comment():
    assert marked(None, "lab") == MARK
    assert marked("web tier", "lab") == "web tier vdc-estate:lab"
    assert marked("web tier vdc-estate:old", "lab") == "web tier vdc-estate:lab"
    assert owner("web tier vdc-estate:lab") == "lab" and owner("about vdc-estate:lab here") is None
    assert owner(None) is None and unmarked("x vdc-estate:lab") == "x"


def test_nesting_becomes_scope_and_every_owner_is_marked():
    flat = entries()
    got = {(d.kind, d.name): d.values for d in flat.desired}
    assert got[("cluster", "c1")] == {"name": "c1", "data_center": "dc1", "comment": MARK}
    assert got[("host", "hv1")]["cluster"] == "c1"
    assert got[("network", "app")]["comment"] == f"front {MARK}"
    assert got[("cluster_network", "app")] == {"name": "app", "cluster": "c1", "data_center": "dc1"}
    assert got[("disk", "web1_os")]["vm"] == "web1" and "comment" not in got[("disk", "web1_os")]
    assert got[("nic", "nic1")]["profile"] == "app"
    storage = [d.name for d in flat.desired if d.kind == "storage_domain"]
    assert storage == ["data", "iso"]  # the master first: the first data domain attached becomes master
    assert flat.origins["VM 'web1'"] == ("vms", 0)
    assert flat.origins["host 'hv1'"] == ("data_centers", 0, "clusters", 0, "hosts", 0)


def test_a_nested_entity_naming_another_parent_is_refused():
    doc = {"data_centers": [{"name": "dc1", "clusters": [{"name": "c1", "data_center": "dc2"}]}]}
    with pytest.raises(Exception, match="declared inside data center 'dc1'"):
        entries(doc)


@pytest.mark.parametrize(("only", "expected"), [
    (["vms"], {"vm", "disk", "nic"}),
    (["vm"], {"vm", "disk", "nic"}),
    (["networks"], {"network", "cluster_network"}),
    (["hv1"], {"host"}),
    (["web1"], {"vm", "disk", "nic"}),
    ([], {"data_center", "cluster", "host", "storage_domain", "network", "cluster_network", "vm", "disk", "nic"}),
])
def test_only_picks_kinds_or_names(only, expected):
    assert {d.kind for d in entries().desired if selected(d, only)} == expected


CURRENT = {
    "data_center": [{"id": "dc", "name": "dc1", "comment": MARK}],
    "cluster": [{"id": "c", "name": "c1", "data_center": "dc1", "comment": MARK},
                {"id": "c2", "name": "c2", "data_center": "dc1", "comment": MARK}],
    "host": [{"id": "h", "name": "hv1", "cluster": "c1", "comment": MARK, "status": "up"}],
    "storage_domain": [],
    "network": [],
    "vm": [{"id": "v1", "name": "web1", "cluster": "c1", "comment": MARK, "status": "down"},
           {"id": "v2", "name": "old", "cluster": "c1", "comment": MARK, "status": "up"},
           {"id": "v3", "name": "theirs", "cluster": "c1", "comment": "vdc-estate:other", "status": "down"},
           {"id": "v4", "name": "handmade", "cluster": "c1", "comment": "", "status": "down"}],
}


def test_prune_deletes_only_what_this_estate_marked_and_no_longer_declares():
    flat = entries()
    wanted, reasons = desired_now(flat, CURRENT, ApplyOptions("lab", prune=True))
    absent = sorted((d.kind, d.name) for d in wanted if d.state == "absent")
    assert absent == [("cluster", "c2"), ("vm", "old")]
    assert reasons["VM 'old'"] == "no longer declared in estate lab, which owns it"
    without, _ = desired_now(flat, CURRENT, ApplyOptions("lab", prune=False))
    assert not [d for d in without if d.state == "absent"]
    only_vms, _ = desired_now(flat, CURRENT, ApplyOptions("lab", prune=True, only=("vms",)))
    assert [(d.kind, d.name) for d in only_vms if d.state == "absent"] == [("vm", "old")]


def test_an_entity_marked_by_another_estate_is_refused():
    doc = {"vms": [{"name": "theirs", "cluster": "c1"}]}
    with pytest.raises(PlanError, match="belongs to estate 'other'"):
        check_ownership(CURRENT, entries(doc).desired, "lab")
    check_ownership(CURRENT, entries({"vms": [{"name": "handmade", "cluster": "c1"}]}).desired, "lab")


def test_recursive_cleanup_tears_the_whole_data_center_down():
    doc = {"data_centers": [{"name": "dc1", "state": "absent", "recursive_cleanup": True}]}
    flat = entries(doc)
    wanted, _ = desired_now(flat, CURRENT, ApplyOptions("lab"))
    steps = [(s.op, s.label) for s in plan(wanted, CURRENT).steps]
    assert steps.index(("delete", "VM 'old'")) < steps.index(("delete", "host 'hv1'")) \
        < steps.index(("delete", "cluster 'c1'")) < steps.index(("delete", "data center 'dc1'"))
    assert ("action", "VM 'old'") in steps  # stopped first
    assert ("delete", "VM 'handmade'") in steps  # teardown takes everything in the data center, as ovirt does


def test_counts_per_kind_and_the_plan_as_text():
    flat = entries({"vms": [{"name": "web1", "cluster": "c1", "memory": "1GiB", "state": "running"},
                            {"name": "new", "cluster": "c1"}, {"name": "old", "state": "absent"}]})
    current = {**CURRENT, "vm": [{**CURRENT["vm"][0], "memory": 1024**3}, CURRENT["vm"][1]],
               "template": [{"id": "t", "name": "Blank"}]}
    the_plan = plan(flat.desired, current)
    assert counts(the_plan) == {"vm": {"created": 1, "updated": 1, "deleted": 1, "unchanged": 0}}
    assert totals(counts(the_plan)) == {"created": 1, "updated": 1, "deleted": 1, "unchanged": 0}
    text = plan_text(the_plan)
    assert "+ VM 'new': create (does not exist)" in text
    assert "> VM 'web1': action start (state running, the VM is down)" in text
    assert text.endswith("1 created, 1 updated, 1 deleted, 0 unchanged\n")


def test_only_refuses_a_word_that_names_nothing():
    from ansible_collections.vdc.infra.plugins.module_utils.estate.converge import _check_only

    _check_only(("vms", "web1", "old", "hosts"), entries().desired, CURRENT)
    with pytest.raises(PlanError, match="only: 'vsm' names no kind"):
        _check_only(("vsm",), entries().desired, CURRENT)
