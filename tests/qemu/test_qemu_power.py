"""Graceful shutdown and reboot on QEMU lab hosts. The counting guest has no ACPI handler: it ignores the power
button, so the engine's timeout decides (power off after a shutdown, reset after a reboot)."""

from __future__ import annotations

import time

import ovirtsdk4.types as t

from tests.hosts.helpers import last_event_index, wait_for
from tests.qemu.conftest import SHUTDOWN_TIMEOUT
from tests.qemu.vms import counter, counting_vm, events_matching, qemu_pid, wait_counting


def test_shutdown_ignored_by_the_guest_powers_off_after_the_timeout(qestate):
    vm_id, _ = counting_vm(qestate, "q-shutdown")
    try:
        qestate.start_on(vm_id, 0)
        wait_counting(qestate, vm_id, 5)
        mark = last_event_index(qestate.conn)
        asked = time.monotonic()
        qestate.vm(vm_id).shutdown()
        # the guest got the ACPI request and keeps running: powering down, neither down nor destroyed early
        while time.monotonic() - asked < SHUTDOWN_TIMEOUT - 0.5:
            vm = qestate.vm(vm_id).get()
            assert vm.status == t.VmStatus.POWERING_DOWN, vm.status
            assert qemu_pid(vm_id) is not None
            time.sleep(0.2)
        running = counter(qestate, vm_id)
        assert wait_counting(qestate, vm_id, running) > running
        down = qestate.wait_vm_status(vm_id, t.VmStatus.DOWN, timeout=SHUTDOWN_TIMEOUT + 5)
        waited = time.monotonic() - asked
        assert SHUTDOWN_TIMEOUT - 0.5 <= waited <= SHUTDOWN_TIMEOUT + 5
        assert down.host is None and qemu_pid(vm_id) is None  # powered off: its qemu process is gone
        late = events_matching(qestate, mark, "did not shut down within")
        assert len(late) == 1 and late[0].severity == t.LogSeverity.WARNING
        assert not events_matching(qestate, mark, "stale copy")
    finally:
        qestate.destroy_vm(vm_id)


def test_reboot_keeps_the_qemu_process_and_restarts_the_guest(qestate):
    vm_id, _ = counting_vm(qestate, "q-reboot")
    try:
        vm = qestate.start_on(vm_id, 1)
        pid = qemu_pid(vm_id)
        # a count of 200 or more: after the reset the new count stays below it for 11 s, which even a poller
        # starved on a loaded machine (a monitor read costs a libvirt connection) cannot miss
        before = wait_counting(qestate, vm_id, 200)
        mark = last_event_index(qestate.conn)
        qestate.vm(vm_id).reboot()
        assert qestate.vm(vm_id).get().status == t.VmStatus.REBOOT_IN_PROGRESS
        qestate.monitor_round(1, 2)  # reports of the still running guest do not end the reboot
        assert qestate.vm(vm_id).get().status == t.VmStatus.REBOOT_IN_PROGRESS
        up = qestate.wait_vm_status(vm_id, t.VmStatus.UP, timeout=SHUTDOWN_TIMEOUT + 5)
        # the guest boots again (the BIOS first, a second or two, memory kept): its count starts over
        after = wait_for(lambda: counter(qestate, vm_id), lambda n: n < before, timeout=90,
                         what="the guest counting from zero again")
        assert up.host.id == vm.host.id == qestate.host_ids[1]
        assert qemu_pid(vm_id) == pid  # rebooted in its qemu process: no destroy and start
        assert wait_counting(qestate, vm_id, after) > after
        wait_for(lambda: events_matching(qestate, mark, "did not reboot within"), bool, what="the timeout event")
        wait_for(lambda: events_matching(qestate, mark, "was rebooted"), bool, what="the reboot event")
        qestate.monitor_round(1, 2)  # and monitoring leaves it up
        assert qestate.vm(vm_id).get().status == t.VmStatus.UP
    finally:
        qestate.destroy_vm(vm_id)
