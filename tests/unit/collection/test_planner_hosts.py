"""The planner for hosts: a host that is up goes to maintenance before it is removed (as ovirt_host does)."""

from __future__ import annotations

import pytest
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
