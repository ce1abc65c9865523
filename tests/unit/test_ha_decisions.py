"""The monitoring decisions as pure functions: what an unanswered poll makes of a host, and when to fence."""

from __future__ import annotations

import pytest

from engine_api.loops.ha import fence_due, restart_retry
from engine_api.loops.monitor import after_missed_poll


@pytest.mark.parametrize(("host", "now", "expected"), [
    ({"status": "up"}, 100.0, "count"),  # one missed poll: still up
    ({"status": "up", "_failed_polls": 1, "_unreachable_since": 99.0}, 100.0, "connecting"),
    ({"status": "preparing_for_maintenance", "_failed_polls": 1}, 100.0, "connecting"),
    ({"status": "connecting", "_unreachable_since": 98.0}, 100.0, None),  # within non_responsive_timeout
    ({"status": "connecting", "_unreachable_since": 90.0}, 100.0, "non_responsive"),
    ({"status": "non_responsive", "_unreachable_since": 10.0}, 100.0, None),  # the HA loop takes over
    ({"status": "maintenance"}, 100.0, None),
])
def test_after_missed_poll(host, now, expected):
    assert after_missed_poll(host, now, timeout=5.0, attempts=2) == expected


def test_fencing_is_tried_once_per_quiet_time_and_never_after_a_manual_fence():
    assert fence_due({"status": "non_responsive"}, 100.0, 180.0)
    assert not fence_due({"_fenced": {"state": "soft_fencing", "at": 50.0}}, 100.0, 180.0)  # still running
    assert fence_due({"_fenced": {"state": "soft_fencing", "at": 0.0}}, 1000.0, 180.0)  # cut short by a restart
    assert not fence_due({"_fenced": {"state": "failed", "at": 50.0}}, 100.0, 180.0)
    assert fence_due({"_fenced": {"state": "failed", "at": 50.0}}, 231.0, 180.0)
    assert not fence_due({"_fenced": {"state": "manual", "at": 0.0}}, 1000.0, 180.0)


HA = {"enabled": True}


@pytest.mark.parametrize(("vm", "expected"), [
    ({"status": "down", "high_availability": HA, "_ha_restart": {"tries": 1, "at": 80.0}}, None),  # 20 s ago
    ({"status": "down", "high_availability": HA, "_ha_restart": {"tries": 1, "at": 70.0}}, "retry"),  # 30 s ago
    ({"status": "down", "high_availability": HA, "_ha_restart": {"tries": 9, "at": 0.0}}, "retry"),
    ({"status": "down", "high_availability": HA, "_ha_restart": {"tries": 10, "at": 0.0}}, "give_up"),
    ({"status": "down", "high_availability": {"enabled": False}, "_ha_restart": {"tries": 1, "at": 0.0}}, "drop"),
    ({"status": "wait_for_launch", "high_availability": HA, "_ha_restart": {"tries": 1, "at": 0.0}}, None),
    ({"status": "up", "high_availability": HA, "_ha_restart": {"tries": 1, "at": 0.0}}, "drop"),  # it runs
    ({"status": "down", "high_availability": HA}, None),  # stopped by a user: not restarted
])
def test_a_failed_restart_is_retried_every_interval_up_to_the_max_tries(vm, expected):
    assert restart_retry(vm, 100.0, interval=30.0, max_tries=10) == expected
