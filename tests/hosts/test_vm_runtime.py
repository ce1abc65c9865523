"""VMs run on lab hosts through their agents: start, stop, shutdown, reboot, suspend and resume, migration.

Every assertion about where a VM runs is checked twice: in the engine (the API) and in the agents' own
reports (``/stats`` of the agent protocol), which see the libvirt domains.
"""

from __future__ import annotations

import time

import ovirtsdk4 as sdk
import ovirtsdk4.types as t
import pytest

from tests.hosts.helpers import GiB, ensure_estate, events_since, last_event_index, show_vm, wait_for

STARTING = {t.VmStatus.WAIT_FOR_LAUNCH, t.VmStatus.POWERING_UP, t.VmStatus.UP}


@pytest.fixture
def vm_id(estate, request):
    """A fresh VM for the test, removed afterwards whatever its state."""
    ident = estate.new_vm(f"vm-{request.node.name[5:][:40]}".replace("_", "-"))
    yield ident
    estate.destroy_vm(ident)


def test_sdk_flow_end_to_end(lab_engine, conn, storage_path):
    """Hosts, NFS storage, a VM with a disk and a NIC: start, migrate, stop, and remove it all again."""
    system = conn.system_service()
    estate = ensure_estate(lab_engine, conn, storage_path)  # adds both hosts and attaches the domain
    assert {estate.host(i).status for i in range(2)} == {t.HostStatus.UP}
    dc = system.data_centers_service().list(search="name=Default")[0]
    attached = system.data_centers_service().data_center_service(dc.id).storage_domains_service()
    assert attached.storage_domain_service(estate.sd_id).get().status == t.StorageDomainStatus.ACTIVE

    vm = system.vms_service().add(t.Vm(name="e2e", cluster=t.Cluster(name="Default"),
                                       template=t.Template(name="Blank"), memory=GiB))
    vms = system.vms_service().vm_service(vm.id)
    attachment = vms.disk_attachments_service().add(t.DiskAttachment(
        disk=t.Disk(name="e2e_disk", format=t.DiskFormat.COW, provisioned_size=GiB,
                    storage_domains=[t.StorageDomain(id=estate.sd_id)]),
        interface=t.DiskInterface.VIRTIO, bootable=True, active=True))
    disk = system.disks_service().disk_service(attachment.disk.id)
    wait_for(disk.get, lambda d: d.status == t.DiskStatus.OK, what="the disk ok")  # as ovirt_disk waits
    profile = next(p for p in system.vnic_profiles_service().list() if p.name == "ovirtmgmt")
    vms.nics_service().add(t.Nic(name="nic1", vnic_profile=t.VnicProfile(id=profile.id)))

    vms.start()
    up = estate.wait_vm_status(vm.id, t.VmStatus.UP)
    source = estate.index_of(up.host.id)
    other = 1 - source
    assert estate.agent_vms(source) == {vm.id: "up"}
    assert vm.id not in estate.agent_vms(other)

    vms.migrate()
    moved = estate.wait_vm(vm.id, lambda v: v.status == t.VmStatus.UP and v.host.id == estate.host_ids[other],
                           what="the VM up on the other host")
    assert moved.host.id == estate.host_ids[other]
    assert vm.id not in estate.agent_vms(source)  # gone from the source...
    assert estate.agent_vms(other) == {vm.id: "up"}  # ...running on the destination

    vms.stop()
    down = estate.wait_vm_status(vm.id, t.VmStatus.DOWN)
    assert down.host is None
    assert vm.id not in estate.agent_vms(0) and vm.id not in estate.agent_vms(1)

    vms.remove()
    wait_for(lambda: system.vms_service().list(search="name=e2e"), lambda found: not found, what="VM removed")
    assert not system.disks_service().list(search="alias=e2e_disk")

    # the storage domain: deactivate, detach, remove
    service = attached.storage_domain_service(estate.sd_id)
    service.deactivate()
    wait_for(service.get, lambda a: a.status == t.StorageDomainStatus.MAINTENANCE, what="domain in maintenance")
    service.remove()
    wait_for(attached.list, lambda items: all(a.id != estate.sd_id for a in items), what="domain detached")
    system.storage_domains_service().storage_domain_service(estate.sd_id).remove(destroy=True)
    with pytest.raises(sdk.NotFoundError):
        system.storage_domains_service().storage_domain_service(estate.sd_id).get()

    # the hosts: maintenance, then removal
    for i in range(2):
        estate.host_service(i).deactivate()
        estate.wait_host_status(i, t.HostStatus.MAINTENANCE)
        estate.host_service(i).remove()
        with pytest.raises(sdk.NotFoundError):
            estate.host_service(i).get()
    assert system.hosts_service().list() == []


def test_start_goes_through_wait_for_launch_to_up(estate, vm_id):
    mark = last_event_index(estate.conn)
    estate.vm(vm_id).start()
    first = estate.vm(vm_id).get()
    assert first.status in STARTING
    seen = {first.status}
    vm = wait_for(lambda: estate.vm(vm_id).get(), lambda v: seen.add(v.status) or v.status == t.VmStatus.UP,
                  interval=0.01, what="the VM up")
    assert seen <= STARTING
    assert vm.host is not None and vm.host.id in estate.host_ids
    assert vm.start_time is not None
    assert estate.agent_vms(estate.index_of(vm.host.id)).get(vm_id) == "up"
    texts = [e.description for e in events_since(estate.conn, mark)]
    assert any("started on Host" in x for x in texts), texts
    with pytest.raises(sdk.Error) as refused:  # a VM that is up cannot be started again
        estate.vm(vm_id).start()
    assert "already up" in str(refused.value)


def test_stop(estate, vm_id):
    vm = estate.start_on(vm_id, 0)
    assert vm.host.id == estate.host_ids[0]
    estate.vm(vm_id).stop()
    down = estate.wait_vm_status(vm_id, t.VmStatus.DOWN)
    assert down.host is None and down.stop_time is not None
    assert vm_id not in estate.agent_vms(0)


def test_stop_right_after_start_wins(estate, vm_id, lab_engine):
    """A stop issued while the launch is still under way (a slow before_vm_start hook holds it) runs after
    it: the VM ends down, on no host, and no agent runs it."""
    hooks = [h.state_dir / "hooks" / "before_vm_start" / "50_slow" for h in lab_engine.engine.lab.hosts]
    for hook in hooks:
        hook.parent.mkdir(parents=True, exist_ok=True)
        hook.write_text("#!/bin/sh\nsleep 1\n")
        hook.chmod(0o755)
    try:
        service = estate.vm(vm_id)
        service.start()
        service.stop()
        down = estate.wait_vm_status(vm_id, t.VmStatus.DOWN)
        time.sleep(1.5)  # the launch, had it not been waited for, would have finished by now
        down = estate.vm(vm_id).get()
        assert down.status == t.VmStatus.DOWN and down.host is None
        assert vm_id not in estate.agent_vms(0) and vm_id not in estate.agent_vms(1)
    finally:
        for hook in hooks:
            hook.unlink(missing_ok=True)


def test_shutdown(estate, vm_id):
    estate.start_on(vm_id, 1)
    estate.vm(vm_id).shutdown()
    assert estate.vm(vm_id).get().status in (t.VmStatus.POWERING_DOWN, t.VmStatus.DOWN)
    estate.wait_vm_status(vm_id, t.VmStatus.DOWN)
    assert vm_id not in estate.agent_vms(1)


def test_reboot(estate, vm_id):
    estate.start_on(vm_id, 0)
    mark = last_event_index(estate.conn)
    estate.vm(vm_id).reboot()
    assert estate.vm(vm_id).get().status in (t.VmStatus.REBOOT_IN_PROGRESS, t.VmStatus.UP)
    vm = estate.wait_vm_status(vm_id, t.VmStatus.UP)
    assert vm.host.id == estate.host_ids[0]
    assert estate.agent_vms(0).get(vm_id) == "up"
    wait_for(lambda: [e.description for e in events_since(estate.conn, mark)],
             lambda texts: any("rebooted" in x for x in texts), what="the reboot event")


def test_suspend_and_resume(estate, vm_id):
    estate.start_on(vm_id, 1)
    estate.vm(vm_id).suspend()
    assert estate.vm(vm_id).get().status in (t.VmStatus.SAVING_STATE, t.VmStatus.SUSPENDED)
    vm = estate.wait_vm_status(vm_id, t.VmStatus.SUSPENDED)
    assert vm.host.id == estate.host_ids[1]  # its saved state lives there
    assert estate.agent_vms(1).get(vm_id) == "suspended"  # its saved state, not running
    assert vm_id not in estate.agent_vms(0)
    estate.monitor_round(1)  # monitoring leaves a suspended VM alone
    assert estate.vm(vm_id).get().status == t.VmStatus.SUSPENDED
    estate.vm(vm_id).start()  # resume
    vm = estate.wait_vm_status(vm_id, t.VmStatus.UP)
    assert vm.host.id == estate.host_ids[1]
    assert estate.agent_vms(1).get(vm_id) == "up"
    assert vm_id not in estate.agent_vms(0)


def test_migrate_to_a_named_host(estate, vm_id):
    estate.start_on(vm_id, 0)
    estate.vm(vm_id).migrate(host=t.Host(name=estate.host(1).name))
    vm = estate.wait_vm(vm_id, lambda v: v.status == t.VmStatus.UP and v.host.id == estate.host_ids[1],
                        what="the VM up on host 1")
    assert vm.host.id == estate.host_ids[1]
    assert vm_id not in estate.agent_vms(0)
    assert estate.agent_vms(1).get(vm_id) == "up"
    estate.vm(vm_id).migrate(host=t.Host(id=estate.host_ids[0]))  # and back, named by id
    estate.wait_vm(vm_id, lambda v: v.status == t.VmStatus.UP and v.host.id == estate.host_ids[0],
                   what="the VM back up on host 0")
    assert estate.agent_vms(0).get(vm_id) == "up"
    assert vm_id not in estate.agent_vms(1)


def test_migrate_to_any_host(estate, vm_id):
    estate.start_on(vm_id, 1)
    estate.vm(vm_id).migrate()
    vm = estate.wait_vm(vm_id, lambda v: v.status == t.VmStatus.UP and v.host.id == estate.host_ids[0],
                        what="the VM up on the only other host")
    assert estate.agent_vms(0).get(vm_id) == "up"
    assert vm_id not in estate.agent_vms(1)
    assert vm.host.id == estate.host_ids[0]


def test_migrate_refusals(estate, vm_id):
    with pytest.raises(sdk.Error) as down:  # a VM that is down cannot migrate
        estate.vm(vm_id).migrate()
    assert "it is down" in str(down.value)
    estate.start_on(vm_id, 0)
    with pytest.raises(sdk.Error) as same:  # nor to the host it runs on
        estate.vm(vm_id).migrate(host=t.Host(id=estate.host_ids[0]))
    assert "no host" in str(same.value)
    assert estate.vm(vm_id).get().status == t.VmStatus.UP
    assert estate.agent_vms(0).get(vm_id) == "up"


def test_monitoring_reports_a_vm_that_died_on_its_host(estate, vm_id):
    """A VM destroyed behind the engine's back (qemu died) is seen down by the next monitoring round."""
    vm = estate.start_on(vm_id)
    index = estate.index_of(vm.host.id)
    estate.live.engine.broker.vm_op({"address": estate.address(index), "port": 54321}, vm_id, "destroy")
    down = estate.wait_vm_status(vm_id, t.VmStatus.DOWN, timeout=5)
    assert down.host is None


def test_monitoring_never_undoes_what_jobs_do(estate):
    """Many VMs started, migrated and stopped at once while monitoring polls without pause: monitoring must
    neither mark down a VM whose launch is queued or whose report predates its job, nor destroy it as stale."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from tests.hosts.helpers import connect

    engine = estate.live.engine
    count = 24
    ids = [estate.new_vm(f"burst-{i}", memory=64 << 20) for i in range(count)]
    mark = last_event_index(estate.conn)
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            engine.monitor.run_once()

    def burst(action: str, **kwargs) -> None:
        def one(vm_id: str) -> None:
            conn = connect(estate.live)
            try:
                getattr(conn.system_service().vms_service().vm_service(vm_id), action)(**kwargs)
            finally:
                conn.close()

        with ThreadPoolExecutor(6) as pool:
            list(pool.map(one, ids))

    def all_vms(cond) -> None:
        wait_for(lambda: [estate.vm(i).get() for i in ids], lambda vms: all(cond(v) for v in vms), timeout=20,
                 what=f"all {count} VMs", describe=lambda vms: [show_vm(v) for v in vms])

    threads = [threading.Thread(target=hammer, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        burst("start", vm=t.Vm(placement_policy=t.VmPlacementPolicy(hosts=[t.Host(id=estate.host_ids[0])])))
        all_vms(lambda v: v.status == t.VmStatus.UP)
        assert set(estate.agent_vms(0)) >= set(ids)
        burst("migrate")
        all_vms(lambda v: v.status == t.VmStatus.UP and v.host.id == estate.host_ids[1])
        assert set(estate.agent_vms(1)) >= set(ids) and not set(estate.agent_vms(0)) & set(ids)
        burst("stop")
        all_vms(lambda v: v.status == t.VmStatus.DOWN)
        assert not (set(estate.agent_vms(0)) | set(estate.agent_vms(1))) & set(ids)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        for vm_id in ids:
            estate.destroy_vm(vm_id)
    bad = [e.description for e in events_since(estate.conn, mark)
           if e.severity != t.LogSeverity.NORMAL or "is down" in e.description]
    assert bad == []
