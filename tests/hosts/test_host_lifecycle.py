"""A host's life: install (its agent answers), maintenance with evacuation, activation, refresh, removal,
and the installation that cannot succeed because nothing answers and nothing can be deployed."""

from __future__ import annotations

import ovirtsdk4 as sdk
import ovirtsdk4.types as t
import pytest

from tests.hosts.helpers import ensure_estate, events_since, host_name, last_event_index, wait_for


def test_added_hosts_come_up_with_their_facts(estate):
    for i in range(2):
        host = estate.host(i)
        assert host.status == t.HostStatus.UP
        assert host.address == estate.address(i)
        assert host.memory == 16 << 30  # from the lab node's libvirt capabilities
        assert host.cpu.topology.sockets == 2 and host.cpu.topology.cores == 4
        assert host.libvirt_version.full_version.startswith("libvirt-")
    found = estate.system.hosts_service().list(search="status=up")
    assert {h.id for h in found} >= set(estate.host_ids)


def test_install_passes_through_installing(lab_engine, conn, estate):
    """A host added afresh goes installing -> (initializing) -> up, and says so in the event log."""
    system = conn.system_service()
    estate.host_service(1).deactivate()
    estate.wait_host_status(1, t.HostStatus.MAINTENANCE)
    estate.host_service(1).remove()
    mark = last_event_index(conn)
    added = system.hosts_service().add(t.Host(name=host_name(1), address=estate.address(1), port=54321,
                                              cluster=t.Cluster(name="Default")))
    assert added.status in (t.HostStatus.INSTALLING, t.HostStatus.INITIALIZING, t.HostStatus.UP)
    service = system.hosts_service().host_service(added.id)
    wait_for(service.get, lambda h: h.status == t.HostStatus.UP, what="the new host up")
    texts = [e.description for e in events_since(conn, mark)]
    assert any(f"Host {host_name(1)} installed" in x for x in texts), texts
    assert any(f"Host {host_name(1)} is up" in x for x in texts), texts


def test_deactivate_migrates_running_vms_away_first(estate):
    vm_id = estate.new_vm("evacuee")
    try:
        estate.start_on(vm_id, 0)
        assert estate.agent_vms(0).get(vm_id) == "up"
        mark = last_event_index(estate.conn)
        estate.host_service(0).deactivate()
        first = estate.host(0).status
        assert first in (t.HostStatus.PREPARING_FOR_MAINTENANCE, t.HostStatus.MAINTENANCE)
        estate.wait_host_status(0, t.HostStatus.MAINTENANCE)
        texts = [e.description for e in events_since(estate.conn, mark)]
        assert any(f"Host {host_name(0)} was switched to preparing for maintenance" in x for x in texts), texts
        vm = estate.vm(vm_id).get()
        assert vm.status == t.VmStatus.UP and vm.host.id == estate.host_ids[1]
        assert vm_id not in estate.agent_vms(0)
        assert estate.agent_vms(1).get(vm_id) == "up"

        # nothing can start on a host in maintenance
        other = estate.new_vm("blocked")
        try:
            with pytest.raises(sdk.Error) as refused:
                estate.vm(other).start(vm=t.Vm(placement_policy=t.VmPlacementPolicy(
                    hosts=[t.Host(id=estate.host_ids[0])])))
            assert "Cannot run VM" in str(refused.value)
        finally:
            estate.destroy_vm(other)

        estate.host_service(0).activate()
        estate.wait_host_status(0, t.HostStatus.UP)
    finally:
        estate.destroy_vm(vm_id)


def test_deactivate_an_idle_host_goes_straight_to_maintenance(estate):
    estate.host_service(1).deactivate()
    assert estate.host(1).status == t.HostStatus.MAINTENANCE
    estate.host_service(1).deactivate()  # again: nothing to do
    estate.host_service(1).activate()
    estate.wait_host_status(1, t.HostStatus.UP)
    estate.host_service(1).activate()  # again: nothing to do
    assert estate.host(1).status == t.HostStatus.UP


def test_refresh(estate):
    mark = last_event_index(estate.conn)
    estate.host_service(0).refresh()
    texts = [e.description for e in events_since(estate.conn, mark)]
    assert any(f"Host {host_name(0)} capabilities were refreshed" in x for x in texts), texts
    assert estate.host(0).status == t.HostStatus.UP


def test_remove_needs_maintenance_and_no_vms(lab_engine, conn, storage_path, estate):
    with pytest.raises(sdk.Error) as up:
        estate.host_service(1).remove()
    assert "move it to maintenance first" in str(up.value)
    estate.host_service(1).deactivate()
    estate.wait_host_status(1, t.HostStatus.MAINTENANCE)
    estate.host_service(1).remove()
    with pytest.raises(sdk.NotFoundError):
        estate.host_service(1).get()
    assert not estate.system.hosts_service().list(search=f"name={host_name(1)}")
    again = ensure_estate(lab_engine, conn, storage_path)  # the same agent can be added back
    assert again.host(1).status == t.HostStatus.UP


def test_host_without_agent_or_credentials_fails_to_install(lab_engine, conn):
    lab = lab_engine.engine.lab.hosts
    nowhere = lab[-1].address.rsplit(".", 1)[0] + ".250"  # in the lab's own range; nothing listens there
    mark = last_event_index(conn)
    hosts = conn.system_service().hosts_service()
    added = hosts.add(t.Host(name="ghost", address=nowhere, port=54321, cluster=t.Cluster(name="Default")))
    try:
        host = wait_for(hosts.host_service(added.id).get, lambda h: h.status == t.HostStatus.INSTALL_FAILED,
                        what="install_failed")
        assert host.status == t.HostStatus.INSTALL_FAILED
        errors = [e for e in events_since(conn, mark) if e.severity == t.LogSeverity.ERROR]
        texts = [e.description for e in errors]
        assert any("Host ghost installation failed" in x and f"no host agent answers at https://{nowhere}:54321" in x
                   and "no SSH credentials" in x for x in texts), texts
        assert any(e.host is not None and e.host.id == added.id for e in errors)
        with pytest.raises(sdk.Error):  # it cannot be activated either
            hosts.host_service(added.id).activate()
    finally:
        hosts.host_service(added.id).remove()


def test_storage_domain_can_be_added_again_at_the_same_path(estate, storage_path):
    system = estate.system
    dc = system.data_centers_service().list(search="name=Default")[0]
    attached = system.data_centers_service().data_center_service(dc.id).storage_domains_service()
    path = f"{storage_path}/again"
    for _ in range(2):
        sd = system.storage_domains_service().add(t.StorageDomain(
            name="again", type=t.StorageDomainType.DATA, host=t.Host(id=estate.host_ids[0]),
            storage=t.HostStorage(type=t.StorageType.NFS, address="127.0.0.1", path=path)))
        try:
            attached.add(t.StorageDomain(id=sd.id))
            service = attached.storage_domain_service(sd.id)
            wait_for(service.get, lambda a: a.status == t.StorageDomainStatus.ACTIVE, what="domain active")
            service.deactivate()
            wait_for(service.get, lambda a: a.status == t.StorageDomainStatus.MAINTENANCE, what="maintenance")
            service.remove()
        finally:
            system.storage_domains_service().storage_domain_service(sd.id).remove(destroy=True)
