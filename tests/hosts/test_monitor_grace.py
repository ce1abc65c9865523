"""oVirt's grace period: a host leaves ``up`` (``connecting``, out of scheduling) only after
``vds_attempts_to_reset_count`` (2) consecutive unanswered polls. The agent is really stopped (SIGSTOP), so its
``/stats`` call times out after ``agent_stats_timeout`` seconds, whatever ``monitor_interval`` is."""

from __future__ import annotations

import os
import signal
import time

import ovirtsdk4.types as t

from engine_api.commands.tx import Tx
from tests.hosts.helpers import events_since, last_event_index, wait_for


def _failed_polls(live, host_id: str) -> int:
    with live.engine.db.read() as conn:
        return int(Tx(conn, None).must("host", host_id).get("_failed_polls") or 0)


def test_one_unanswered_poll_keeps_the_host_up_two_make_it_connecting(lab_engine, estate):
    config = lab_engine.engine.config
    assert config["vds_attempts_to_reset_count"] == 2
    stats_timeout = config["agent_stats_timeout"]
    assert stats_timeout > config["monitor_interval"]  # the stats call does not time out after one interval
    agent = lab_engine.engine.lab.hosts[0].process
    host_id = estate.host_ids[0]
    mark = last_event_index(estate.conn)
    stopped = False
    try:
        # one poll fails: the agent is stopped until the poll under way has timed out, then resumed
        os.kill(agent.pid, signal.SIGSTOP)
        stopped = True
        wait_for(lambda: _failed_polls(lab_engine, host_id), lambda n: n == 1, timeout=stats_timeout + 5,
                 interval=0.02, what="one unanswered poll")
        os.kill(agent.pid, signal.SIGCONT)
        stopped = False
        assert estate.host(0).status == t.HostStatus.UP
        estate.monitor_round(0)  # it answers again: the count starts over (committed just after the report)
        wait_for(lambda: _failed_polls(lab_engine, host_id), lambda n: n == 0, timeout=5, what="the count reset")
        assert estate.host(0).status == t.HostStatus.UP
        texts = [e.description for e in events_since(estate.conn, mark)]
        assert not any("is not responding" in x for x in texts), texts

        # two consecutive polls fail: connecting, no sooner than the second one timed out
        os.kill(agent.pid, signal.SIGSTOP)
        stopped = True
        began = time.monotonic()
        wait_for(lambda: _failed_polls(lab_engine, host_id), lambda n: n == 1, timeout=stats_timeout + 5,
                 interval=0.02, what="one unanswered poll")
        assert estate.host(0).status == t.HostStatus.UP
        estate.wait_host_status(0, t.HostStatus.CONNECTING, timeout=stats_timeout + 5)
        assert time.monotonic() - began > stats_timeout  # two timed-out polls, not one
        texts = [e.description for e in events_since(estate.conn, mark)]
        assert any(f"Host {estate.host(0).name} is not responding" in x for x in texts), texts
    finally:
        if stopped:
            os.kill(agent.pid, signal.SIGCONT)
        estate.wait_host_status(0, t.HostStatus.UP, timeout=20)
