"""How templates, VMs and disks plan and send image work: versions of a template found apart from its base, a new
version made from the base of its name, a VM's template version in its template reference, a moved disk as a
move action, a copied disk as a copy action."""

from __future__ import annotations

import pytest
from ansible_collections.vdc.infra.plugins.module_utils import model as m
from ansible_collections.vdc.infra.plugins.module_utils.desired import expand
from ansible_collections.vdc.infra.plugins.module_utils.errors import DesiredStateError, PlanError
from ansible_collections.vdc.infra.plugins.module_utils.kinds import KINDS
from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import to_wire
from ansible_collections.vdc.infra.plugins.module_utils.planner import plan

MiB = 1 << 20
BASE = {"id": "t1", "name": "el9", "version_number": 1, "version_name": None}
V2 = {"id": "t2", "name": "el9", "version_number": 2, "version_name": "updates"}


def desired(kind: str, **values):
    return expand(m.parse(kind, values))


def test_a_template_without_a_version_is_its_base_and_a_version_is_found_by_its_name_or_number():
    current = {"template": [BASE, V2], "vm": [{"id": "v", "name": "golden"}]}
    [step] = plan(desired("template", name="el9", vm="golden"), current).steps
    assert step.op == "noop" and step.id == "t1"
    [step] = plan(desired("template", name="el9", version_name="updates", description="x"), current).steps
    assert step.op == "update" and step.id == "t2"
    [step] = plan(desired("template", name="el9", version_number=2), current).steps
    assert step.op == "noop" and step.id == "t2"
    [step] = plan(desired("template", name="el9", version_number=2, version_name="renamed"), current).steps
    assert step.op == "update" and step.id == "t2"  # found by its number, its name changed
    assert step.changes == {"version_name": {"before": "updates", "after": "renamed"}}


def test_a_missing_version_is_made_from_the_base_of_its_name():
    current = {"template": [BASE], "vm": [{"id": "v", "name": "golden"}]}
    [step] = plan(desired("template", name="el9", vm="golden", version_name="updates"), current).steps
    assert step.op == "create"
    kind = KINDS["template"]
    body = kind.create_body(to_wire(kind, step.values, lambda *a: None), step.values)
    assert body["version"] == {"version_name": "updates", "base_template": {"name": "el9"}}
    [base] = plan(desired("template", name="new", vm="golden"), current).steps
    assert "version" not in kind.create_body(to_wire(kind, base.values, lambda *a: None), base.values)


def test_a_vms_template_version_goes_into_its_template_reference():
    vm = KINDS["vm"]
    body = to_wire(vm, {"template": "el9", "template_version": 2}, lambda *a: None)
    assert body["template"] == {"name": "el9", "version": {"version_number": 2}}
    assert vm.create_params({"clone": True}) == {"clone": True} and vm.create_params({"clone": False}) == {}
    with pytest.raises(DesiredStateError):
        m.parse("vm", {"name": "a", "template_version": 2})  # a version of no template
    with pytest.raises(DesiredStateError):
        m.parse("vm", {"name": "a", "snapshot_vm": "db1"})  # a snapshot of no name


def test_a_changed_storage_domain_moves_the_disk_and_a_copy_is_a_copy_action():
    current = {"disk": [{"id": "d1", "name": "data", "vm": None, "storage_domain": "sd1", "size": MiB}],
               "storage_domain": [{"id": "s1", "name": "sd1"}, {"id": "s2", "name": "sd2"}]}
    [step] = plan(desired("disk", name="data", storage_domain="sd2", description="moved"), current).steps
    assert step.op == "update" and step.changes["storage_domain"] == {"before": "sd1", "after": "sd2"}
    disk = KINDS["disk"]
    body = disk.update_body(to_wire(disk, step.values, lambda k, n, v: "s2"), step.values, step.current)
    requests = disk.update_requests("disks", "d1", body, step.values, step.current)
    assert [(r.op, r.path, r.body) for r in requests] == [
        ("update", "disks", {"description": "moved"}), ("add", "disks/d1/move", {"storage_domain": {"id": "s2"}})]
    assert disk.update_waits(step.values)
    grow = {"size": 2 * MiB, "storage_domain": "sd2"}
    with pytest.raises(PlanError):
        disk.update_requests("disks", "d1", {"provisioned_size": 2 * MiB, "storage_domain": {"id": "s2"}}, grow,
                             step.current)

    [copy] = plan(desired("disk", name="data2", copy_from="data", storage_domain="sd2"), current).steps
    assert copy.op == "create"  # no size needed: the copy has the source's
    ids = {("disk", "data"): "d1", ("storage_domain", "sd2"): "s2"}
    path, body = disk.create_via(copy.values, lambda k, n, v: ids.get((k, n)))
    assert path == "disks/d1/copy" and body == {"storage_domain": {"id": "s2"}, "disk": {"alias": "data2"}}
    with pytest.raises(DesiredStateError):
        m.parse("disk", {"name": "x", "copy_from": "data", "vm": "web1"})
