"""vdc.infra.snapshot's ``use_memory`` as a play on QEMU lab hosts: the RAM of a running guest (one that counts
in its memory) is saved with the snapshot, and a restore with it makes the next start resume the guest where
it was; a restore without it boots afresh. Check mode changes nothing, and taking the snapshot again neither."""

from __future__ import annotations

import ovirtsdk4.types as t

from tests.integration.helpers import playbook_runner
from tests.integration.test_snapshot_play import PLAY
from tests.qemu.conftest import qconn, qemu_engine, qestate, qstorage  # noqa: F401 - the QEMU lab's fixtures
from tests.qemu.test_qemu_snapshots import wait_snapshot
from tests.qemu.vms import counter, counting_vm, wait_counting


def test_snapshot_module_saves_and_restores_the_ram_with_use_memory(qemu_engine, qestate, tmp_path):  # noqa: F811
    vm_id, _ = counting_vm(qestate, "snap1")  # the play's VM
    snapshots = qestate.vm(vm_id).snapshots_service()
    (tmp_path / "snap.yml").write_text(PLAY)
    run = playbook_runner(qemu_engine, tmp_path)

    def play(state: str, *args: str, use_memory: bool = True) -> tuple[dict, dict, str]:
        return run("snap.yml", {"description": "with ram", "state": state, "use_memory": use_memory}, *args)

    def regular() -> list[t.Snapshot]:
        return [s for s in snapshots.list() if s.snapshot_type != t.SnapshotType.ACTIVE]

    def stop() -> None:
        qestate.vm(vm_id).stop()
        qestate.wait_vm_status(vm_id, t.VmStatus.DOWN)

    try:
        qestate.start_on(vm_id, 0)
        wait_counting(qestate, vm_id, 300)
        out, stats, log = play("present", "--check", "--diff")
        assert stats["failed"] == 0 and stats["changed"] == 1, log
        assert out["snap"]["diff"][0]["after"] == {"description": "with ram", "persist_memorystate": True}
        assert not regular()

        out, stats, log = play("present")
        assert stats["failed"] == 0 and stats["changed"] == 1, log
        [taken] = regular()
        assert wait_snapshot(qestate, vm_id, taken.id).persist_memorystate is True
        assert out["snap"]["snapshot"]["persist_memorystate"] is True
        saved = counter(qestate, vm_id)
        out, stats, log = play("present")  # found by its description: no second snapshot
        assert stats["failed"] == 0 and stats["changed"] == 0 and len(regular()) == 1, log
        stop()

        out, stats, log = play("restore", "--check", "--diff")
        assert stats["failed"] == 0 and stats["changed"] == 1, log
        assert out["snap"]["diff"][0]["after"]["restore_memory"] is True
        out, stats, log = play("restore")
        assert stats["failed"] == 0 and stats["changed"] == 1, log
        assert [s.snapshot_status for s in regular()] == [t.SnapshotStatus.OK]
        qestate.start_on(vm_id, 0)
        resumed = counter(qestate, vm_id)
        assert 300 <= resumed <= saved + 50  # where it was when the RAM was saved, not from 0
        assert wait_counting(qestate, vm_id, resumed) > resumed
        stop()

        out, stats, log = play("restore", use_memory=False)  # without the RAM: a fresh boot
        assert stats["failed"] == 0 and stats["changed"] == 1, log
        qestate.start_on(vm_id, 0)
        assert wait_counting(qestate, vm_id, 2) < 200
        stop()

        out, stats, log = play("absent")
        assert stats["failed"] == 0 and stats["changed"] == 1 and not regular(), log
    finally:
        qestate.destroy_vm(vm_id)
