"""The engine's calls to a host's agent over kept HTTPS connections: one connection serves call after call, and
an agent that went away and came back (its kept connections dead) is reached again on the next call."""

from __future__ import annotations

import pytest

from engine_api.protocol import client
from engine_api.protocol.client import AgentError


def _kept(lab_engine, host) -> list:
    context = lab_engine.engine.broker.tls()
    return client._IDLE.get((host.address, host.port, context), [])


def test_calls_to_an_agent_share_one_kept_connection(lab_engine):
    h = lab_engine.engine.lab.hosts[1]
    broker, where = lab_engine.engine.broker, {"address": h.address, "port": h.port}
    broker.capabilities(where)
    kept = list(_kept(lab_engine, h))
    assert kept, "the connection was not kept after the call"
    for _ in range(5):
        assert broker.capabilities(where)["hypervisor"] == "TEST"
    assert any(c in kept for c in _kept(lab_engine, h)), "a later call opened a new connection"


def test_an_agent_that_restarted_is_reached_again_and_one_that_is_gone_is_an_error(lab_engine):
    lab = lab_engine.engine.lab
    h = lab.hosts[0]
    broker, where = lab_engine.engine.broker, {"address": h.address, "port": h.port}
    assert broker.capabilities(where)["hypervisor"] == "TEST"
    assert _kept(lab_engine, h)
    lab.kill(0)  # the kept connection dies with the agent
    with pytest.raises(AgentError) as gone:
        broker.capabilities(where)
    assert gone.value.status == 0 and "no answer from the agent" in str(gone.value)
    lab.start(0)
    lab.wait_ready(0)
    assert broker.capabilities(where)["hypervisor"] == "TEST"
