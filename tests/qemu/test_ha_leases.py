"""High availability on QEMU lab hosts: a VM never runs on two hosts, whatever cuts its host off.

Two highly available counting guests run on host 0, one holding a lease on the data domain and one without.
A watcher asks both hosts' libvirtds directly (not the engine) every 100 ms which VMs run, through every
scenario. Lab lease timings (``LEASE_IO_TIMEOUT`` N = 1 s): renewed every 2 s, a VM whose lease could not be
renewed for 8 s destroyed, a lease free for another host 14 s after its last renewal. The engine's monitoring
polls every 0.5 s and declares a host non responsive 3 s after it goes silent.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import libvirt
import ovirtsdk4.types as t
import pytest

from engine_api.agent.leases import Timings
from engine_api.lab.hosts import LEASE_IO_TIMEOUT
from tests.hosts.helpers import Estate, events_since, last_event_index, wait_for
from tests.qemu.vms import counting_vm, events_matching, libvirt_uri, wait_counting

pytestmark = pytest.mark.slow  # real lease timings: `make test-slow` (CI runs it after `make test`)

TIMINGS = Timings(LEASE_IO_TIMEOUT)
DETECTION = 3.0 + 2.0  # non_responsive_timeout, plus the polls that find a dead host silent
SILENT = 40.0  # a hung agent takes longer: each poll waits agent_stats_timeout (5 s) before it counts as missed
libvirt.registerErrorHandler(lambda *_: None, None)  # the watcher's failures are expected (a host powered off)


class Watcher(threading.Thread):
    """Which of the VMs each host's hypervisor runs, sampled every 100 ms; any sample with one VM on two hosts
    is kept. ``first_seen[(vm, host)]`` is when the VM was first seen running on that host."""

    def __init__(self, uris: list[str], vm_ids: list[str]):
        super().__init__(daemon=True)
        self.uris = uris
        self.vm_ids = set(vm_ids)
        self.stop_event = threading.Event()
        self.twice: list[tuple[float, str]] = []
        self.first_seen: dict[tuple[str, int], float] = {}
        self.samples = 0

    def _running(self, conns: list, i: int) -> set[str]:
        try:
            if conns[i] is None:
                conns[i] = libvirt.open(self.uris[i])
            return {conns[i].lookupByID(d).UUIDString() for d in conns[i].listDomainsID()} & self.vm_ids
        except libvirt.libvirtError:  # a powered-off host runs nothing; its daemon is gone
            conns[i] = None
            return set()

    def run(self) -> None:
        conns: list = [None] * len(self.uris)
        while not self.stop_event.is_set():
            now = time.monotonic()
            seen = [self._running(conns, i) for i in range(len(self.uris))]
            for i, vms in enumerate(seen):
                for vm in vms:
                    self.first_seen.setdefault((vm, i), now)
            for vm in self.vm_ids:
                if sum(vm in s for s in seen) > 1:
                    self.twice.append((now, vm))
            self.samples += 1
            self.stop_event.wait(max(0.0, 0.1 - (time.monotonic() - now)))

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=10)


def _hypervisors(estate: Estate) -> list[str]:
    return [libvirt_uri(estate, h) for h in estate.host_ids]


def _ha_vms(estate: Estate, tag: str) -> tuple[str, str]:
    """A leased and an unleased highly available counting guest, both running on host 0."""
    ha = t.HighAvailability(enabled=True, priority=1)
    leased, _ = counting_vm(estate, f"q-{tag}-leased", high_availability=ha,
                            lease=t.StorageDomainLease(storage_domain=t.StorageDomain(id=estate.sd_id)))
    plain, _ = counting_vm(estate, f"q-{tag}-plain", high_availability=ha)
    for vm_id in (leased, plain):
        estate.start_on(vm_id, 0)
    for vm_id in (leased, plain):
        wait_counting(estate, vm_id)
    return leased, plain


def _lease_file(estate: Estate, vm_id: str) -> str:
    sd = estate.system.storage_domains_service().storage_domain_service(estate.sd_id).get()
    return f"{sd.storage.path}/leases/{vm_id}.lease"


def _cleanup(estate: Estate, *vm_ids: str) -> None:
    for vm_id in vm_ids:
        estate.destroy_vm(vm_id)


def _still_on_host_0(estate: Estate, watcher: Watcher, vm_ids: tuple[str, ...]) -> None:
    assert not watcher.twice, f"a VM ran on two hosts: {watcher.twice[:3]}"
    assert all((vm, 1) not in watcher.first_seen for vm in vm_ids), "a VM was started on host 1"
    lab = estate.live.engine.lab
    running = {libvirt.open(lab.daemons[0].uri).lookupByUUIDString(vm).isActive() for vm in vm_ids}
    assert running == {1}, "a VM of the silent host stopped although it kept its lease"


def test_vm_lease_is_validated_and_shown(qestate):
    vms = qestate.system.vms_service()
    with pytest.raises(Exception) as refused:
        vms.add(t.Vm(name="q-bad-lease", cluster=t.Cluster(name="Default"), template=t.Template(name="Blank"),
                     lease=t.StorageDomainLease(storage_domain=t.StorageDomain(id="no-such-domain"))))
    assert "vm.lease.storage_domain" in str(refused.value)
    vm_id, _ = counting_vm(qestate, "q-lease-shown",
                           lease=t.StorageDomainLease(storage_domain=t.StorageDomain(id=qestate.sd_id)))
    try:
        assert qestate.vm(vm_id).get().lease.storage_domain.id == qestate.sd_id
        qestate.vm(vm_id).update(t.Vm(lease=t.StorageDomainLease()))  # no storage domain: no lease
        assert qestate.vm(vm_id).get().lease is None
    finally:
        qestate.destroy_vm(vm_id)


def test_frozen_agent_never_gives_a_second_copy(qestate):
    """SIGSTOP on host 0's agent: the engine finds the host non responsive, but the lease keeper goes on
    renewing, so the leased VM is not restarted elsewhere; the unleased one waits for fencing, which fails."""
    leased, plain = _ha_vms(qestate, "frozen")
    lab = qestate.live.engine.lab
    watcher = Watcher(_hypervisors(qestate), [leased, plain])
    watcher.start()
    agent = lab.hosts[0].process
    try:
        mark = last_event_index(qestate.conn)
        os.kill(agent.pid, signal.SIGSTOP)
        qestate.wait_host_status(0, t.HostStatus.NON_RESPONSIVE, timeout=SILENT)
        frozen_at = time.monotonic()
        # longer than a lease takes to expire once its renewals stop, with the engine watching all along
        while time.monotonic() - frozen_at < TIMINGS.expiry + 6:
            time.sleep(0.5)
        _still_on_host_0(qestate, watcher, (leased, plain))
        waits = events_matching(qestate, mark, "waits for its lease")
        assert any("q-frozen-leased" in e.description for e in waits)
        unfenced = events_matching(qestate, mark, "could not be fenced")
        assert unfenced and "q-frozen-plain" in unfenced[0].description
        for vm_id in (leased, plain):
            assert qestate.vm(vm_id).get().status == t.VmStatus.UNKNOWN
        os.kill(agent.pid, signal.SIGCONT)
        qestate.wait_host_status(0, t.HostStatus.UP, timeout=15)
        for vm_id in (leased, plain):
            vm = qestate.wait_vm_status(vm_id, t.VmStatus.UP, timeout=10)
            assert vm.host.id == qestate.host_ids[0]
        watcher.stop()
        assert not watcher.twice and watcher.samples > 200
    finally:
        os.kill(agent.pid, signal.SIGCONT)
        watcher.stop()
        _cleanup(qestate, leased, plain)


def test_blocked_agent_port_never_gives_a_second_copy(qestate):
    """The agent's port blocked (the lab switch: every call to the agent times out, as behind a firewall that
    drops its packets): the host goes on running its VMs and renewing its leases; nothing starts elsewhere."""
    leased, plain = _ha_vms(qestate, "blocked")
    lab = qestate.live.engine.lab
    watcher = Watcher(_hypervisors(qestate), [leased, plain])
    watcher.start()
    try:
        lab.block_agent(0)
        qestate.wait_host_status(0, t.HostStatus.NON_RESPONSIVE, timeout=SILENT)
        blocked_at = time.monotonic()
        while time.monotonic() - blocked_at < TIMINGS.expiry + 6:
            time.sleep(0.5)
        _still_on_host_0(qestate, watcher, (leased, plain))
        lab.block_agent(0, False)
        qestate.wait_host_status(0, t.HostStatus.UP, timeout=30)
        for vm_id in (leased, plain):
            vm = qestate.wait_vm_status(vm_id, t.VmStatus.UP, timeout=10)
            assert vm.host.id == qestate.host_ids[0]
        watcher.stop()
        assert not watcher.twice
    finally:
        lab.block_agent(0, False)
        watcher.stop()
        _cleanup(qestate, leased, plain)


def test_host_cut_from_storage_destroys_its_leased_vm_before_the_lease_expires(qestate):
    leased, plain = _ha_vms(qestate, "cut")
    lab = qestate.live.engine.lab
    conn = libvirt.open(lab.daemons[0].uri)
    try:
        cut_at = time.monotonic()
        lab.cut_storage(0)
        wait_for(lambda: conn.lookupByUUIDString(leased).isActive(), lambda active: not active,
                 timeout=TIMINGS.kill_after + 2 * TIMINGS.renew_interval + 5, interval=0.1,
                 what="the leased VM destroyed by the lease keeper")
        killed = time.monotonic() - cut_at
        # not before its lease went unrenewed for kill_after, and well before the lease is free for others
        assert TIMINGS.kill_after - TIMINGS.renew_interval <= killed < TIMINGS.expiry - 2
        assert conn.lookupByUUIDString(plain).isActive()  # a VM without a lease is none of the keeper's business
    finally:
        lab.cut_storage(0, False)
        conn.close()
        _cleanup(qestate, leased, plain)


def test_dead_host_leased_vm_restarts_after_the_lease_expires_and_unleased_after_fencing(qestate):
    """Host 0 powered off: its leased HA VM runs on host 1 once the lease expired (never before); the unleased
    one cannot be fenced (no SSH, no power management), stays unknown, and restarts once the user confirms the
    host was rebooted."""
    leased, plain = _ha_vms(qestate, "dead")
    lab = qestate.live.engine.lab
    watcher = Watcher(_hypervisors(qestate), [leased, plain])
    watcher.start()
    try:
        mark = last_event_index(qestate.conn)
        with open(_lease_file(qestate, leased)) as f:
            assert '"owner"' in f.read()
        died = time.monotonic()
        lab.power_off(0)
        qestate.wait_vm(leased, lambda v: v.status == t.VmStatus.UP and v.host.id == qestate.host_ids[1],
                             timeout=TIMINGS.expiry + DETECTION + 60, what="the leased VM up on host 1")
        up_after = time.monotonic() - died
        started = watcher.first_seen[(leased, 1)] - died
        wait_counting(qestate, leased)
        # never before the lease could have expired (its last renewal at most one interval before the death)
        assert started >= TIMINGS.expiry - TIMINGS.renew_interval - 0.5, started
        assert up_after <= TIMINGS.expiry + DETECTION + 30, up_after
        print(f"\nleased HA VM up on host 1 {up_after:.1f} s after host 0 died (qemu started at {started:.1f} s)")

        told = wait_for(lambda: events_matching(qestate, mark, "could not be fenced"), lambda es: bool(es),
                        timeout=15, what="the failed fencing told")
        assert "q-dead-plain" in told[0].description
        assert qestate.vm(plain).get().status == t.VmStatus.UNKNOWN
        assert (plain, 1) not in watcher.first_seen
        qestate.host_service(0).fence(fence_type="manual")
        qestate.wait_vm(plain, lambda v: v.status == t.VmStatus.UP and v.host.id == qestate.host_ids[1],
                             timeout=30, what="the unleased VM up on host 1")
        wait_counting(qestate, plain)
        texts = [e.description for e in events_since(qestate.conn, mark)]
        assert any("confirmed rebooted" in x for x in texts), texts
        watcher.stop()
        assert not watcher.twice
    finally:
        watcher.stop()
        lab.start(0)
        qestate.wait_host_status(0, t.HostStatus.UP, timeout=60)
        _cleanup(qestate, leased, plain)



def test_a_live_migration_hands_the_lease_over_to_the_destination(qestate):
    import json

    lab = qestate.live.engine.lab
    vm_id, _ = counting_vm(qestate, "q-lease-moves",
                           lease=t.StorageDomainLease(storage_domain=t.StorageDomain(id=qestate.sd_id)))
    try:
        qestate.start_on(vm_id, 0)
        owners = [(h.state_dir / "lease-host-id").read_text().strip() for h in lab.hosts]

        def record() -> dict:
            with open(_lease_file(qestate, vm_id)) as f:
                return json.load(f)

        assert record()["owner"] == owners[0]
        qestate.vm(vm_id).migrate(host=t.Host(id=qestate.host_ids[1]))
        qestate.wait_vm(vm_id, lambda v: v.status == t.VmStatus.UP and v.host.id == qestate.host_ids[1],
                        timeout=60, what="the VM up on host 1")
        moved = wait_for(record, lambda r: r["owner"] == owners[1], timeout=10, what="host 1 holding the lease")
        # host 1's keeper renews it from now on, and host 0's let it go without touching the VM
        wait_for(record, lambda r: r["generation"] > moved["generation"] and r["owner"] == owners[1],
                 timeout=3 * TIMINGS.renew_interval + 2, what="host 1 renewing the lease")
        wait_for(lambda: (lab.hosts[0].state_dir / "leases" / f"{vm_id}.json").exists(), lambda held: not held,
                 timeout=2 * TIMINGS.renew_interval + 2, what="host 0 no longer renewing it")
        assert wait_counting(qestate, vm_id) > 0
    finally:
        qestate.destroy_vm(vm_id)
