"""The planner for hosts, as ovirt_host: a host that is up goes to maintenance before it is removed; ``activate``
(default true) brings a host in maintenance up, and false leaves it (and a new host) in maintenance."""

from __future__ import annotations

import pytest
from ansible_collections.vdc.infra.plugins.module_utils.kinds import KINDS
from ansible_collections.vdc.infra.plugins.module_utils.planner import Desired, plan

HOST = {"id": "h-1", "name": "hv1", "cluster": "c1", "address": "hv1.lab"}


@pytest.mark.parametrize(("status", "expected"), [
    ("up", [("action", "deactivate", "maintenance"), ("delete", None, None)]),
    ("connecting", [("action", "deactivate", "maintenance"), ("delete", None, None)]),
    ("maintenance", [("delete", None, None)]),
    ("install_failed", [("delete", None, None)]),
    ("non_responsive", [("delete", None, None)]),
])
def test_absent_moves_a_working_host_to_maintenance_first(status, expected):
    p = plan([Desired("host", {"name": "hv1"}, "absent")], {"host": [{**HOST, "status": status}], "cluster": []})
    assert [(s.op, s.action, s.end_state) for s in p.steps] == expected
    assert all(s.id == "h-1" for s in p.steps)


def test_a_host_status_is_not_compared_when_present():
    p = plan([Desired("host", {"name": "hv1", "address": "hv1.lab"})], {"host": [{**HOST, "status": "up"}]})
    assert [s.op for s in p.steps] == ["noop"]


@pytest.mark.parametrize(("status", "options", "expected"), [
    ("maintenance", {}, [("action", "activate", "up")]),  # activate defaults to true
    ("maintenance", {"activate": True}, [("action", "activate", "up")]),
    ("maintenance", {"activate": False}, [("noop", None, None)]),
    ("up", {"activate": True}, [("noop", None, None)]),
    ("up", {"activate": False}, [("noop", None, None)]),  # false leaves the host alone, it does not deactivate
    ("non_operational", {"activate": True}, [("noop", None, None)]),  # only maintenance is activated
])
def test_present_activates_a_host_in_maintenance_unless_activate_is_false(status, options, expected):
    desired = Desired("host", {"name": "hv1", "address": "hv1.lab"}, options=options)
    p = plan([desired], {"host": [{**HOST, "status": status}]})
    assert [(s.op, s.action, s.end_state) for s in p.steps] == expected
    assert all(s.id == "h-1" for s in p.steps)


def test_activate_and_a_field_change_both_happen_update_first():
    desired = Desired("host", {"name": "hv1", "description": "new"}, options={"activate": True})
    p = plan([desired], {"host": [{**HOST, "status": "maintenance", "description": "old"}]})
    assert [(s.op, s.action) for s in p.steps] == [("update", None), ("action", "activate")]
    assert p.steps[1].changes == {"status": {"before": "maintenance", "after": "up"}}


@pytest.mark.parametrize(("options", "params"), [({}, {}), ({"activate": True}, {}),
                                                 ({"activate": False}, {"activate": False})])
def test_a_new_host_is_created_with_activate_false_only_when_asked(options, params):
    desired = Desired("host", {"name": "hv2", "address": "hv2.lab", "cluster": "c1"}, options=options)
    p = plan([desired], {"host": [], "cluster": [{"id": "c-1", "name": "c1"}]})
    assert [(s.op, s.action) for s in p.steps] == [("create", None)]  # never an activate step for a new host
    kind = KINDS["host"]
    assert kind.create_params(p.steps[0].options) == params
