"""Live migration between QEMU lab hosts: the hypervisors hand the running guest over (it keeps counting), two
copies never run, and a canceled or failed migration leaves the VM running where it was."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import libvirt
import ovirtsdk4 as sdk
import ovirtsdk4.types as t
import pytest

from tests.hosts.helpers import last_event_index, wait_for
from tests.qemu.vms import counter, counting_vm, events_matching, libvirt_uri, qemu_pid, wait_counting


class Watch(threading.Thread):
    """Every ~100 ms: which hosts' libvirt runs the VM (state *running*), and the VM's status in the API."""

    def __init__(self, estate, vm_id: str):
        super().__init__(daemon=True)
        self.estate, self.vm_id = estate, vm_id
        self.conns = [libvirt.open(libvirt_uri(estate, h)) for h in estate.host_ids]
        self.samples: list[list[int]] = []  # per sample: indexes of the hosts where it runs
        self.statuses: list[t.VmStatus] = []
        self.halt = threading.Event()

    def running_on(self) -> list[int]:
        where = []
        for i, conn in enumerate(self.conns):
            try:
                state = conn.lookupByUUIDString(self.vm_id).state()[0]
            except libvirt.libvirtError:
                continue
            if state == libvirt.VIR_DOMAIN_RUNNING:
                where.append(i)
        return where

    def run(self) -> None:
        while not self.halt.is_set():
            self.samples.append(self.running_on())
            self.statuses.append(self.estate.vm(self.vm_id).get().status)
            time.sleep(0.1)

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=10)
        for conn in self.conns:
            conn.close()


def _progress_in_engine(db, vm_id: str) -> int | None:
    from engine_api.commands.tx import Tx

    with db.read() as conn:
        return Tx(conn, None).must("vm", vm_id).get("_migration_progress")


@pytest.fixture
def throttled(qemu_engine):
    """Migrations at 1 MiB/s (the engine's bandwidth setting)."""
    config = qemu_engine.engine.config
    before = config.get("migration_max_bandwidth", 0)
    config["migration_max_bandwidth"] = 1
    yield
    config["migration_max_bandwidth"] = before


def stalled_destination(vm_id: str, source_pid: int) -> int:
    """Stop the destination's incoming qemu as soon as it appears (SIGSTOP): the migration stream stalls and the
    migration runs until it is canceled. Returns its pid (to SIGCONT afterwards)."""

    def incoming() -> int | None:
        out = subprocess.run(["pgrep", "-f", f"qemu-system.*-uuid {vm_id}"], capture_output=True, text=True).stdout
        return next((int(p) for p in out.split() if int(p) != source_pid), None)

    pid = wait_for(incoming, lambda p: p is not None, interval=0.01, what="the destination's qemu")
    os.kill(pid, signal.SIGSTOP)
    return pid


def test_live_migration_hands_the_running_guest_over(qestate):
    vm_id, _ = counting_vm(qestate, "q-migrate")
    watch = None
    try:
        qestate.start_on(vm_id, 0)
        pid = qemu_pid(vm_id)
        last_on_source = wait_counting(qestate, vm_id, 20)
        mark = last_event_index(qestate.conn)
        watch = Watch(qestate, vm_id)
        watch.start()
        qestate.vm(vm_id).migrate(host=t.Host(id=qestate.host_ids[1]))
        vm = qestate.wait_vm(vm_id, lambda v: v.status == t.VmStatus.UP and v.host.id == qestate.host_ids[1],
                             what="the VM up on host 1")
        on_destination = counter(qestate, vm_id)
        time.sleep(0.3)
        watch.stop()
        assert on_destination >= last_on_source  # the same guest, its memory moved: it never restarted
        assert counter(qestate, vm_id) > on_destination  # and keeps running there
        assert all(len(where) <= 1 for where in watch.samples), watch.samples  # never two running copies
        assert [0] in watch.samples and watch.samples[-1] == [1]
        assert t.VmStatus.MIGRATING in watch.statuses
        assert qemu_pid(vm_id) != pid  # a new qemu process on the destination; the source's is gone
        source = libvirt.open(libvirt_uri(qestate, qestate.host_ids[0]))
        try:  # undefined on the source (libvirt's UNDEFINE_SOURCE), persistent on the destination
            with pytest.raises(libvirt.libvirtError):
                source.lookupByUUIDString(vm_id)
        finally:
            source.close()
        done = wait_for(lambda: events_matching(qestate, mark, "completed"), bool, what="the completion event")
        assert "downtime" in done[0].description
        assert vm.host.id == qestate.host_ids[1]
    finally:
        if watch is not None and watch.is_alive():
            watch.stop()
        qestate.destroy_vm(vm_id)


def test_cancel_migration_keeps_the_vm_on_its_source(qestate, throttled):
    """A migration whose destination stalls runs until canceled: it shows its progress, then the VM stays up on
    its source, still the same running guest."""
    vm_id, _ = counting_vm(qestate, "q-cancel")
    stalled = None
    try:
        qestate.start_on(vm_id, 0)
        source_pid = qemu_pid(vm_id)
        wait_counting(qestate, vm_id, 5)
        mark = last_event_index(qestate.conn)
        qestate.vm(vm_id).migrate(host=t.Host(id=qestate.host_ids[1]))
        stalled = stalled_destination(vm_id, source_pid)
        agent = qestate.live.engine.broker
        source = {"address": qestate.address(0), "port": 54321}

        def advanced() -> int | None:  # let the stream move a little (50 ms at a time), then stall it again
            os.kill(stalled, signal.SIGCONT)
            time.sleep(0.05)
            os.kill(stalled, signal.SIGSTOP)
            return next((v.get("migration_progress") for v in agent.stats(source)["vms"] if v["id"] == vm_id), None)

        progress = wait_for(advanced, lambda p: p is not None and p > 0, what="the migration advancing")
        assert 0 < progress <= 99  # vdsm's progress, capped below 100 until done
        kept = wait_for(lambda: _progress_in_engine(qestate.live.engine.db, vm_id), lambda p: p and p > 0,
                        what="the progress kept in the engine")
        assert kept <= 99
        assert qestate.vm(vm_id).get().status == t.VmStatus.MIGRATING
        qestate.vm(vm_id).cancel_migration()
        os.kill(stalled, signal.SIGCONT)  # libvirt ends the destination's copy
        vm = qestate.wait_vm_status(vm_id, t.VmStatus.UP)
        assert vm.host.id == qestate.host_ids[0]
        assert qemu_pid(vm_id) == source_pid or wait_for(lambda: qemu_pid(vm_id), lambda p: p == source_pid,
                                                         what="only the source's qemu left")
        running = wait_counting(qestate, vm_id, 0)
        assert wait_counting(qestate, vm_id, running) > running  # still the source's guest, still running
        assert vm_id not in qestate.agent_vms(1)  # libvirt removed the destination's paused copy
        wait_for(lambda: events_matching(qestate, mark, "was canceled"), bool, what="the cancel event")
        with pytest.raises(sdk.Error) as refused:  # nothing to cancel any more
            qestate.vm(vm_id).cancel_migration()
        assert "not migrating" in str(refused.value)
    finally:
        if stalled is not None:
            try:
                os.kill(stalled, signal.SIGCONT)
            except ProcessLookupError:
                pass
        qestate.destroy_vm(vm_id)


def test_failed_migration_leaves_the_vm_running_on_its_source(qestate):
    """The destination's libvirtd refuses the VM (a different domain of the same name is defined there)."""
    vm_id, _ = counting_vm(qestate, "q-fail")
    dest = libvirt.open(libvirt_uri(qestate, qestate.host_ids[1]))
    squatter = dest.defineXML("<domain type='qemu'><name>q-fail</name><memory unit='MiB'>16</memory>"
                              "<os><type arch='x86_64'>hvm</type></os></domain>")
    try:
        qestate.start_on(vm_id, 0)
        before = wait_counting(qestate, vm_id, 5)
        mark = last_event_index(qestate.conn)
        qestate.vm(vm_id).migrate(host=t.Host(id=qestate.host_ids[1]))
        failed = wait_for(lambda: events_matching(qestate, mark, "Migration of VM q-fail failed"), bool,
                          what="the failure event")
        assert "already exists" in failed[0].description and failed[0].severity == t.LogSeverity.ERROR
        vm = qestate.wait_vm_status(vm_id, t.VmStatus.UP)
        assert vm.host.id == qestate.host_ids[0]
        assert wait_counting(qestate, vm_id, before) > before  # the same guest, never stopped
        assert qestate.agent_vms(0).get(vm_id) == "up" and vm_id not in qestate.agent_vms(1)
    finally:
        squatter.undefine()
        dest.close()
        qestate.destroy_vm(vm_id)
