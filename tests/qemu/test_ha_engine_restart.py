"""An engine restarted while a host is cut off: the new engine picks up where the last one stopped (the host
non responsive, its fencing already tried), and neither engine ever lets a VM run on two hosts.

The QEMU lab here outlives its engines (it is started by the test, not by the engine), as real hosts do.
"""

from __future__ import annotations

import os
import signal
import time

import ovirtsdk4.types as t
import pytest

from engine_api.lab.hosts import Lab
from tests import live
from tests.hosts.helpers import AGENT_PORT, connect, ensure_estate, events_since, last_event_index, wait_for
from tests.qemu.guest import read_counter
from tests.qemu.test_ha_leases import SILENT, TIMINGS, Watcher
from tests.qemu.vms import counting_vm

pytestmark = pytest.mark.slow  # real lease timings: `make test-slow` (CI runs it after `make test`)

CONFIG = {"monitor_interval": 0.5, "non_responsive_timeout": 3.0}


@pytest.fixture(scope="module")
def restartable(tmp_path_factory):
    from engine_api.lab.libvirtd import missing_programs

    if missing := missing_programs():
        pytest.skip(f"QEMU lab hosts need {', '.join(missing)} (`make setup` installs them)")
    data_dir = tmp_path_factory.mktemp("qrestart")
    first = live.start(data_dir, monitor=True, config=CONFIG)
    secret_file = data_dir / "agent.secret"
    secret_file.write_text(first.engine.broker.secret)
    secret_file.chmod(0o600)
    lab = Lab(data_dir / "lab", 2, live.lab_address(), AGENT_PORT, secret_file, pki=first.engine.pki,
              hypervisor="qemu")
    lab.start()
    state = {"live": first, "lab": lab, "data_dir": data_dir}
    try:
        yield state
    finally:
        state["live"].stop()
        lab.stop()


def test_engine_restarted_while_an_agent_hangs_never_gives_a_second_copy(restartable):
    lab = restartable["lab"]
    conn = connect(restartable["live"])
    estate = ensure_estate(restartable["live"], conn, str(restartable["data_dir"] / "nfs"), lab=lab)
    ha = t.HighAvailability(enabled=True, priority=1)
    leased, _ = counting_vm(estate, "r-leased", high_availability=ha,
                            lease=t.StorageDomainLease(storage_domain=t.StorageDomain(id=estate.sd_id)))
    plain, _ = counting_vm(estate, "r-plain", high_availability=ha)

    def count(vm_id: str) -> int:
        return read_counter(lab.daemons[0].uri, vm_id)

    for vm_id in (leased, plain):
        estate.start_on(vm_id, 0)
    for vm_id in (leased, plain):
        wait_for(lambda v=vm_id: count(v), lambda n: n > 0, timeout=90, what="the guest counting")
    watcher = Watcher([d.uri for d in lab.daemons], [leased, plain])
    watcher.start()
    agent = lab.hosts[0].process
    try:
        os.kill(agent.pid, signal.SIGSTOP)
        estate.wait_host_status(0, t.HostStatus.NON_RESPONSIVE, timeout=SILENT)
        mark = last_event_index(conn)
        conn.close()
        restartable["live"].stop()  # the engine goes away in the middle
        restartable["live"] = server = live.start(restartable["data_dir"], monitor=True, config=CONFIG)
        conn = connect(server)
        estate.conn, estate.live = conn, server
        restarted = time.monotonic()
        while time.monotonic() - restarted < TIMINGS.expiry + 6:  # past a lease's expiry, the new engine watching
            time.sleep(0.5)
            assert not watcher.twice, watcher.twice[:3]
        assert estate.host(0).status == t.HostStatus.NON_RESPONSIVE
        assert all((vm, 1) not in watcher.first_seen for vm in (leased, plain)), "a VM was started on host 1"
        for vm_id in (leased, plain):
            assert estate.vm(vm_id).get().status == t.VmStatus.UNKNOWN
        texts = [e.description for e in events_since(conn, mark)]
        assert any("r-leased waits for its lease" in x for x in texts), texts

        os.kill(agent.pid, signal.SIGCONT)
        estate.wait_host_status(0, t.HostStatus.UP, timeout=30)
        for vm_id in (leased, plain):
            vm = estate.wait_vm_status(vm_id, t.VmStatus.UP, timeout=15)
            assert vm.host.id == estate.host_ids[0]
        before = count(leased)
        wait_for(lambda: count(leased), lambda n: n > before, timeout=10, what="the same guest counting on")
        watcher.stop()
        assert not watcher.twice and watcher.samples > 200
    finally:
        os.kill(agent.pid, signal.SIGCONT)
        watcher.stop()
        for vm_id in (leased, plain):
            estate.destroy_vm(vm_id)
        conn.close()
