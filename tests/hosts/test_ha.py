"""Resilience: a host whose agent dies keeps its VMs until it is fenced, highly available VMs restarted elsewhere
once it is, the stale copy destroyed when the host comes back; and an engine restarted in the middle of VM
starts."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import ovirtsdk4.types as t
import pytest

from engine_api.commands.tx import Tx
from engine_api.lab.hosts import Lab
from engine_api.store.db import Database
from tests import live
from tests.hosts.helpers import AGENT_PORT, connect, ensure_estate, events_since, last_event_index, wait_for

HOSTS = 2
RETRY = "retry_to_run_auto_start_vm_interval_in_seconds"


@pytest.fixture
def engine_settings(lab_engine) -> Iterator[Callable[..., None]]:
    """Sets engine configuration values for one test; they are put back after it."""
    config = lab_engine.engine.config
    before: dict = {}

    def settle(**values) -> None:
        for key, value in values.items():
            before.setdefault(key, config.get(key))
            config[key] = value

    yield settle
    for key, value in before.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value


def kill_and_confirm(estate, lab: Lab, n: int = 0) -> None:
    """Host ``n``'s agent dies; once the host is non responsive, the user confirms it was rebooted."""
    lab.kill(n)
    estate.wait_host_status(n, t.HostStatus.NON_RESPONSIVE, timeout=10)
    estate.host_service(n).fence(fence_type="manual")


def hosts_back(estate, lab: Lab) -> None:
    """Host 0's agent running and the host up, host 1 active: as the tests found them."""
    if lab.hosts[0].process is None or lab.hosts[0].process.poll() is not None:
        lab.start(0)
    estate.wait_host_status(0, t.HostStatus.UP, timeout=10)
    if estate.host(1).status != t.HostStatus.UP:
        estate.host_service(1).activate()
        estate.wait_host_status(1, t.HostStatus.UP)


def test_silent_host_keeps_its_vms_until_fenced_then_they_restart_elsewhere(lab_engine, estate):
    """A host whose agent stops answering may still run its VMs: without a lease, a highly available VM moves
    only once its host is fenced. A lab host has no SSH to soft fence it with and no power management, so its
    VMs stay unknown, and the event says what to do, until the user confirms the host was rebooted."""
    ha = estate.new_vm("ha-vm", ha=True)
    plain = estate.new_vm("plain-vm")
    lab = lab_engine.engine.lab
    try:
        estate.start_on(ha, 0)
        estate.start_on(plain, 0)
        assert set(estate.agent_vms(0)) == {ha, plain}
        mark = last_event_index(estate.conn)

        lab.kill(0)  # the agent dies; its libvirt domains are left behind in its state directory
        estate.wait_host_status(0, t.HostStatus.CONNECTING, timeout=5)
        estate.wait_host_status(0, t.HostStatus.NON_RESPONSIVE, timeout=10)  # non_responsive_timeout is 3 s
        texts = wait_for(lambda: [e.description for e in events_since(estate.conn, mark)],
                         lambda xs: any("could not be fenced" in x for x in xs), timeout=15,
                         what="the failed fencing told")
        told = next(x for x in texts if "could not be fenced" in x)
        assert "SSH soft fencing failed" in told and "ha-vm" in told and "confirm it has been rebooted" in told
        estate.monitor_round(1, rounds=3)
        assert estate.agent_vms(1) == {}  # never started elsewhere while its host may run it
        for vm_id in (ha, plain):
            vm = estate.vm(vm_id).get()
            assert vm.status == t.VmStatus.UNKNOWN and vm.host.id == estate.host_ids[0]

        estate.host_service(0).fence(fence_type="manual")  # the user: that host runs nothing any more
        vm = estate.wait_vm(ha, lambda v: v.status == t.VmStatus.UP and v.host.id == estate.host_ids[1],
                            timeout=15, what="the HA VM up on the other host")
        assert estate.agent_vms(1) == {ha: "up"}
        assert estate.vm(plain).get().status == t.VmStatus.DOWN  # not HA: down, not restarted
        texts = [e.description for e in events_since(estate.conn, mark)]
        assert any(f"Host {estate.host(0).name} is non responsive" in x for x in texts), texts
        assert any("confirmed rebooted" in x for x in texts), texts
        assert any("restarted because it is highly available" in x for x in texts), texts

        lab.start(0)  # the agent comes back and brings back the domains it had running: both copies are stale
        estate.wait_host_status(0, t.HostStatus.UP, timeout=10)
        wait_for(lambda: estate.agent_vms(0), lambda vms: vms == {}, timeout=10,
                 what="no VM left on the revived host")
        assert estate.agent_vms(1) == {ha: "up"}
        vm = estate.vm(ha).get()
        assert vm.status == t.VmStatus.UP and vm.host.id == estate.host_ids[1]
        texts = [e.description for e in events_since(estate.conn, mark)]
        assert any("the stale copy is destroyed" in x for x in texts), texts
        estate.monitor_round(0, rounds=2)  # and it stays that way: never twice
        assert estate.agent_vms(0) == {} and estate.agent_vms(1) == {ha: "up"}
    finally:
        hosts_back(estate, lab)
        estate.destroy_vm(ha)
        estate.destroy_vm(plain)


def test_manual_fence_of_an_up_host_or_power_management_fencing_is_refused(lab_engine, estate):
    with pytest.raises(Exception) as refused:
        estate.host_service(0).fence(fence_type="manual")
    assert "only a non responsive host can be confirmed rebooted" in str(refused.value)
    with pytest.raises(Exception) as refused:
        estate.host_service(0).fence(fence_type="restart")
    assert "power management is not enabled" in str(refused.value)
    with pytest.raises(Exception) as refused:
        estate.host_service(0).fence(fence_type="reboot-now")
    assert "fence_type must be one of" in str(refused.value)


def test_a_restart_no_host_can_take_is_retried_until_one_can(lab_engine, estate, engine_settings):
    """With the only other host in maintenance, the HA VM of a dead host cannot restart: it is down, each failed
    try is told, and it is tried again every interval until the other host is back, where it then runs; its
    old host, back too, keeps no copy of it."""
    ha = estate.new_vm("ha-alone", ha=True)
    lab = lab_engine.engine.lab
    engine_settings(**{RETRY: 1.0})
    try:
        estate.start_on(ha, 0)
        estate.host_service(1).deactivate()
        estate.wait_host_status(1, t.HostStatus.MAINTENANCE)
        mark = last_event_index(estate.conn)
        kill_and_confirm(estate, lab)
        events = wait_for(lambda: events_since(estate.conn, mark),
                          lambda es: sum(e.code == 9603 for e in es) >= 2, timeout=10,
                          what="two failed restart tries", describe=lambda es: [e.description for e in es])
        failed = [e.description for e in sorted(events, key=lambda e: int(e.index)) if e.code == 9603]
        assert all("Restart of highly available VM ha-alone failed" in x for x in failed), failed
        assert "There are no hosts to use" in failed[0] and "(try 1)" in failed[0] and "(try 2)" in failed[1]
        vm = estate.vm(ha).get()
        assert vm.status == t.VmStatus.DOWN and vm.host is None
        assert estate.agent_vms(1) == {}

        estate.host_service(1).activate()  # a host fits again: the next try runs it there
        estate.wait_host_status(1, t.HostStatus.UP)
        vm = estate.wait_vm(ha, lambda v: v.status == t.VmStatus.UP, timeout=10, what="the HA VM up again")
        assert vm.host.id == estate.host_ids[1] and estate.agent_vms(1) == {ha: "up"}
        texts = [e.description for e in events_since(estate.conn, mark)]
        assert any("restarted because it is highly available" in x for x in texts), texts
        assert not any("is not restarted any more" in x for x in texts), texts

        lab.start(0)  # the old host brings back the domain it had: a stale copy, destroyed
        estate.wait_host_status(0, t.HostStatus.UP, timeout=10)
        wait_for(lambda: estate.agent_vms(0), lambda vms: vms == {}, timeout=10, what="no copy on the old host")
        estate.monitor_round(0, rounds=2)
        assert estate.agent_vms(0) == {} and estate.agent_vms(1) == {ha: "up"}
        assert estate.vm(ha).get().host.id == estate.host_ids[1]
    finally:
        hosts_back(estate, lab)
        estate.destroy_vm(ha)


def test_a_restart_whose_launch_fails_on_the_chosen_host_is_retried_there(lab_engine, estate, engine_settings):
    """The other host is up but refuses to start the VM (a before_vm_start hook fails, as a host that cannot
    take the lease or start qemu would): each failed launch is told, the VM is down in between, and once the
    host can start it the next try runs it there, once."""
    ha = estate.new_vm("ha-refused", ha=True)
    lab = lab_engine.engine.lab
    engine_settings(**{RETRY: 1.0})
    api = httpx.Client(base_url=lab_engine.url + "/vdc", auth=(lab_engine.username, lab_engine.password),
                       timeout=60)
    hook = None
    try:
        estate.start_on(ha, 0)
        r = api.post("/hooks", json={"name": "10_refuse", "event": "before_vm_start",
                                     "content": "#!/bin/sh\necho 'cannot start it here' >&2\nexit 1\n",
                                     "clusters": [], "hosts": [{"id": estate.host_ids[1]}]})
        assert r.status_code == 201, r.text
        hook = r.json()["id"]
        mark = last_event_index(estate.conn)
        kill_and_confirm(estate, lab)
        events = wait_for(lambda: events_since(estate.conn, mark),
                          lambda es: sum(e.code == 9603 for e in es) >= 2, timeout=15,
                          what="two failed launches", describe=lambda es: [e.description for e in es])
        failed = [e.description for e in events if e.code == 9603]
        assert all("Restart of highly available VM ha-refused failed" in x and "cannot start it here" in x
                   for x in failed), failed
        assert estate.agent_vms(1) == {}

        assert api.delete(f"/hooks/{hook}").status_code in (200, 204)
        hook = None
        vm = estate.wait_vm(ha, lambda v: v.status == t.VmStatus.UP, timeout=10, what="the HA VM up again")
        assert vm.host.id == estate.host_ids[1] and estate.agent_vms(1) == {ha: "up"}
        estate.monitor_round(1, rounds=3)  # and no further try starts another copy
        assert estate.agent_vms(1) == {ha: "up"} and estate.vm(ha).get().status == t.VmStatus.UP
    finally:
        if hook is not None:
            api.delete(f"/hooks/{hook}")
        api.close()
        hosts_back(estate, lab)
        estate.destroy_vm(ha)


def test_a_restart_that_keeps_failing_is_given_up_and_a_user_stop_ends_the_retries(lab_engine, estate,
                                                                                    engine_settings):
    """After the last allowed try the VM stays down, told once; a user's stop of a VM waiting for its next try
    ends the tries at once."""
    vms = [estate.new_vm(name, ha=True) for name in ("ha-giving-up", "ha-stopped")]
    lab = lab_engine.engine.lab
    engine_settings(**{RETRY: 1.0, "max_num_of_tries_to_run_failed_auto_start_vm": 2})
    try:
        for vm_id in vms:
            estate.start_on(vm_id, 0)
        estate.host_service(1).deactivate()
        estate.wait_host_status(1, t.HostStatus.MAINTENANCE)
        mark = last_event_index(estate.conn)
        kill_and_confirm(estate, lab)
        estate.wait_vm_status(vms[1], t.VmStatus.DOWN, timeout=10)
        estate.vm(vms[1]).stop()  # the user: leave it down
        texts = wait_for(lambda: [e.description for e in events_since(estate.conn, mark)],
                         lambda xs: any("is not restarted any more" in x for x in xs), timeout=10,
                         what="the restart given up", describe=lambda xs: xs)
        given_up = [x for x in texts if "is not restarted any more" in x]
        assert len(given_up) == 1 and "ha-giving-up" in given_up[0] and "2 tries failed" in given_up[0]
        assert sum("VM ha-giving-up failed" in x for x in texts) == 2
        assert any("ha-stopped was stopped" in x for x in texts), texts
        tries_after_stop = sum("VM ha-stopped failed" in x for x in texts)

        estate.host_service(1).activate()  # a host fits again, but neither VM waits for it any more
        estate.wait_host_status(1, t.HostStatus.UP)
        estate.monitor_round(1, rounds=6)
        assert estate.agent_vms(1) == {}
        assert all(estate.vm(vm_id).get().status == t.VmStatus.DOWN for vm_id in vms)
        texts = [e.description for e in events_since(estate.conn, mark)]
        assert sum("VM ha-stopped failed" in x for x in texts) == tries_after_stop
        assert len([x for x in texts if "is not restarted any more" in x]) == 1
    finally:
        hosts_back(estate, lab)
        for vm_id in vms:
            estate.destroy_vm(vm_id)


# ---------------------------------------------------------------- engine restart


@pytest.fixture(scope="module")
def restartable(tmp_path_factory):
    """An engine whose lab agents outlive it: the lab is started here, not by the engine."""
    data_dir = tmp_path_factory.mktemp("restart")
    first = live.start(data_dir, monitor=True, config={"monitor_interval": 0.3, "non_responsive_timeout": 3.0})
    secret_file = data_dir / "agent.secret"
    secret_file.write_text(first.engine.broker.secret)
    secret_file.chmod(0o600)
    lab = Lab(data_dir / "lab", HOSTS, live.lab_address(), AGENT_PORT, secret_file, pki=first.engine.pki)
    lab.start()
    state = {"live": first, "lab": lab, "data_dir": data_dir}
    try:
        yield state
    finally:
        state["live"].stop()
        lab.stop()


def _restart(state: dict, crash: Callable[[Tx], None] | None = None) -> live.LiveEngine:
    """Stop the engine (as a crash would: jobs abandoned), optionally edit its database, start a new one."""
    state["live"].stop()
    if crash is not None:
        db = Database(f"sqlite:///{state['data_dir'] / 'engine.db'}")
        try:
            with db.write() as conn:
                crash(Tx(conn, None))
        finally:
            db.close()
    state["live"] = live.start(state["data_dir"], monitor=True,
                               config={"monitor_interval": 0.3, "non_responsive_timeout": 3.0})
    return state["live"]


def _estate(state: dict, conn):
    return ensure_estate(state["live"], conn, str(state["data_dir"] / "nfs"), lab=state["lab"])


def _set_status(vm_id: str, status: str, host_id: str | None):
    def crash(tx: Tx) -> None:
        vm = tx.must("vm", vm_id)
        vm.update(status=status, host={"id": host_id} if host_id else None)
        tx.update("vm", vm)
    return crash


def test_engine_restart_settles_vms_left_in_transient_states(restartable):
    conn = connect(restartable["live"])
    try:
        estate = _estate(restartable, conn)
        launched = estate.new_vm("launched")  # the agent runs it; the engine died before recording "up"
        lost = estate.new_vm("lost")  # the engine died after choosing a host, before asking its agent
        racing = estate.new_vm("racing")  # started, and the engine stopped at once
        estate.start_on(launched, 0)
    finally:
        conn.close()

    def crash(tx: Tx) -> None:
        _set_status(launched, "wait_for_launch", estate.host_ids[0])(tx)
        _set_status(lost, "wait_for_launch", estate.host_ids[1])(tx)

    server = _restart(restartable, crash)
    conn = connect(server)
    try:
        estate.conn, estate.live = conn, server
        vm = estate.wait_vm_status(launched, t.VmStatus.UP, timeout=5)
        assert vm.host.id == estate.host_ids[0]
        vm = estate.wait_vm_status(lost, t.VmStatus.DOWN, timeout=5)
        assert vm.host is None
        assert estate.agent_vms(0) == {launched: "up"}
        assert estate.agent_vms(1) == {}

        estate.vm(racing).start()  # the engine stops before (or while) the launch job runs
    finally:
        conn.close()
    server = _restart(restartable)
    conn = connect(server)
    try:
        estate.conn, estate.live = conn, server
        vm = estate.wait_vm(racing, lambda v: v.status in (t.VmStatus.UP, t.VmStatus.DOWN), timeout=5,
                            what="the racing VM settled")
        running = [estate.agent_vms(i).get(racing) for i in range(HOSTS)]
        if vm.status == t.VmStatus.UP:  # the launch reached the agent: the VM runs there, and only there
            assert estate.agent_vms(estate.index_of(vm.host.id)).get(racing) == "up"
            assert running.count("up") == 1
        else:
            assert running == [None] * HOSTS
        estate.monitor_round(0, rounds=2)  # and nothing moves afterwards
        assert estate.vm(racing).get().status == vm.status
        assert estate.vm(launched).get().status == t.VmStatus.UP
        assert estate.vm(lost).get().status == t.VmStatus.DOWN
        for vm_id in (launched, lost, racing):
            estate.destroy_vm(vm_id)
    finally:
        conn.close()


def test_engine_restart_settles_interrupted_migration_suspend_and_install(restartable):
    """What the last engine left half done, whichever side of the agent call it died on, settles for good."""
    from engine_api.hosts.broker import Broker

    conn = connect(restartable["live"])
    try:
        estate = _estate(restartable, conn)
        moved = estate.new_vm("moved")  # migrated by the agents; the engine died before recording it
        stayed = estate.new_vm("stayed")  # the engine died before asking the agents to migrate
        saved = estate.new_vm("saved")  # hibernated by its agent; the engine died before recording it
        for vm_id in (moved, stayed, saved):
            estate.start_on(vm_id, 0)
    finally:
        conn.close()
    broker = Broker(restartable["live"].engine.broker.secret, restartable["live"].engine.pki.client_context)
    lab = [{"address": h.address, "port": h.port} for h in restartable["lab"].hosts]
    restartable["live"].stop()
    broker.migrate(lab[0], moved, lab[1])
    broker.vm_op(lab[0], saved, "hibernate")

    def crash(tx: Tx) -> None:
        _set_status(moved, "migrating", estate.host_ids[0])(tx)
        _set_status(stayed, "migrating", estate.host_ids[0])(tx)
        _set_status(saved, "saving_state", estate.host_ids[0])(tx)
        host = tx.must("host", estate.host_ids[1])
        host["status"] = "installing"
        tx.update("host", host)

    server = _restart(restartable, crash)
    conn = connect(server)
    try:
        estate.conn, estate.live = conn, server
        vm = estate.wait_vm_status(moved, t.VmStatus.UP, timeout=5)
        assert vm.host.id == estate.host_ids[1]
        vm = estate.wait_vm_status(stayed, t.VmStatus.UP, timeout=5)
        assert vm.host.id == estate.host_ids[0]
        vm = estate.wait_vm_status(saved, t.VmStatus.SUSPENDED, timeout=5)
        assert vm.host.id == estate.host_ids[0]
        estate.wait_host_status(1, t.HostStatus.UP, timeout=10)
        for i in range(HOSTS):
            estate.monitor_round(i, rounds=2)
        assert estate.agent_vms(0) == {stayed: "up", saved: "suspended"}  # nothing runs twice or was destroyed
        assert estate.agent_vms(1) == {moved: "up"}
        assert estate.vm(moved).get().status == t.VmStatus.UP
        assert estate.vm(saved).get().status == t.VmStatus.SUSPENDED
        estate.vm(saved).start()  # and the saved state is resumed where it is
        vm = estate.wait_vm_status(saved, t.VmStatus.UP)
        assert vm.host.id == estate.host_ids[0] and estate.agent_vms(0).get(saved) == "up"
        for vm_id in (moved, stayed, saved):
            estate.destroy_vm(vm_id)
    finally:
        conn.close()
