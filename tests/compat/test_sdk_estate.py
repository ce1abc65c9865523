"""The real ovirtsdk4 against the engine over HTTP: build a small estate, read it back, change it, remove it.

Every test runs on SQLite and on PostgreSQL (``server`` is parametrised), so the PostgreSQL store is
proven through the API. Each test module gets its own engines; the estate is built once per engine by
module-scoped fixtures and tests only read it or change members no other test looks at. Tests that
destroy things build their own.
"""

from __future__ import annotations

import itertools
import socket
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

GiB = 1 << 30
BLANK_ID = "00000000-0000-0000-0000-000000000000"
MISSING_ID = "0badc0de-0000-4000-8000-000000000000"
CPU_TYPE = "Intel Skylake Client Family"

_counter = itertools.count(7)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request):
    """The live engine of this module, once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("live_engine" if request.param == "sqlite" else "live_engine_pg")


def connect(server) -> sdk.Connection:
    return sdk.Connection(url=server.url, username=server.username, password=server.password, timeout=30)


@pytest.fixture(scope="module")
def conn(server) -> Iterator[sdk.Connection]:
    connection = connect(server)
    try:
        yield connection
    finally:
        connection.close(logout=True)


@dataclass
class Estate:
    prefix: str
    dc: types.DataCenter
    cluster: types.Cluster
    sd: types.StorageDomain
    host: types.Host
    network: types.Network
    profile: types.VnicProfile


@dataclass
class VmEstate:
    vm: types.Vm
    disk_attachment: types.DiskAttachment
    disk_id: str
    nic: types.Nic


def build_estate(connection: sdk.Connection, prefix: str) -> Estate:
    """A data center with a cluster, an attached NFS domain, a (never installed) host and a VM network."""
    system = connection.system_service()
    dc = system.data_centers_service().add(
        types.DataCenter(name=f"{prefix}_dc", description="estate data center", local=False)
    )
    cluster = system.clusters_service().add(
        types.Cluster(name=f"{prefix}_cluster", description="estate cluster", data_center=types.DataCenter(id=dc.id),
                      cpu=types.Cpu(type=CPU_TYPE, architecture=types.Architecture.X86_64))
    )
    sd = system.storage_domains_service().add(
        types.StorageDomain(
            name=f"{prefix}_nfs", type=types.StorageDomainType.DATA,
            storage=types.HostStorage(type=types.StorageType.NFS, address="nfs.example.com",
                                      path=f"/exports/{prefix}", nfs_version=types.NfsVersion.V4_2),
        )
    )
    assert sd.status == types.StorageDomainStatus.UNATTACHED
    attached = system.data_centers_service().data_center_service(dc.id).storage_domains_service().add(
        types.StorageDomain(id=sd.id)
    )
    assert attached.id == sd.id
    # No agent answers on a loopback address with a closed port and no credentials are given to deploy one,
    # so the host ends up install_failed at once, and never up.
    host = system.hosts_service().add(
        types.Host(name=f"{prefix}_host", address=f"127.0.{next(_counter) % 250}.{next(_counter) % 250 + 2}",
                   port=closed_port(), cluster=types.Cluster(id=cluster.id)),
        activate=False,
    )
    network = system.networks_service().add(
        types.Network(name=f"{prefix}_net", data_center=types.DataCenter(id=dc.id), vlan=types.Vlan(id=100),
                      usages=[types.NetworkUsage.VM])
    )
    system.clusters_service().cluster_service(cluster.id).networks_service().add(
        types.Network(id=network.id, required=False)
    )
    profiles = connection.follow_link(network.vnic_profiles)
    assert [p.name for p in profiles] == [network.name]
    return Estate(prefix, dc, cluster, sd, host, network, profiles[0])


def build_vm(connection: sdk.Connection, estate: Estate, name: str) -> VmEstate:
    vms = connection.system_service().vms_service()
    vm = vms.add(types.Vm(name=name, cluster=types.Cluster(name=estate.cluster.name),
                          template=types.Template(name="Blank"), memory=GiB, description="estate VM"))
    vm_service = vms.vm_service(vm.id)
    attachment = vm_service.disk_attachments_service().add(
        types.DiskAttachment(
            disk=types.Disk(name=f"{name}_disk0", format=types.DiskFormat.COW, provisioned_size=2 * GiB,
                            sparse=True, storage_domains=[types.StorageDomain(id=estate.sd.id)]),
            interface=types.DiskInterface.VIRTIO_SCSI, bootable=True, active=True,
        )
    )
    assert attachment.disk is not None and attachment.disk.id
    nic = vm_service.nics_service().add(
        types.Nic(name="nic1", interface=types.NicInterface.VIRTIO,
                  vnic_profile=types.VnicProfile(id=estate.profile.id))
    )
    return VmEstate(vm, attachment, attachment.disk.id, nic)


@pytest.fixture(scope="module")
def estate(conn) -> Estate:
    return build_estate(conn, "est")


@pytest.fixture(scope="module")
def vm_estate(conn, estate) -> VmEstate:
    return build_vm(conn, estate, "est_vm")


def names(items) -> list[str]:
    return sorted(i.name for i in items)


# ---------------------------------------------------------------- connection


def test_connection_test_and_api_root(conn) -> None:
    assert conn.test(raise_exception=True) is True
    api = conn.system_service().get()
    assert api.product_info.version.major == 4
    assert api.special_objects.blank_template.id == BLANK_ID
    assert api.summary is not None and api.summary.storage_domains.total >= 0


def test_wrong_password_is_an_auth_error(server) -> None:
    bad = sdk.Connection(url=server.url, username=server.username, password="not-the-password")
    try:
        assert bad.test() is False
        with pytest.raises(sdk.AuthError):
            bad.system_service().get()
    finally:
        bad.close(logout=False)


# ---------------------------------------------------------------- the estate as built


def test_estate_members(conn, estate) -> None:
    system = conn.system_service()
    dc = system.data_centers_service().data_center_service(estate.dc.id).get()
    assert dc.name == "est_dc" and dc.local is False
    assert dc.status == types.DataCenterStatus.UNINITIALIZED
    cluster = system.clusters_service().cluster_service(estate.cluster.id).get()
    assert cluster.data_center.id == dc.id
    assert cluster.cpu.type == CPU_TYPE and cluster.cpu.architecture == types.Architecture.X86_64
    assert cluster.version.major == 4
    sd = system.storage_domains_service().storage_domain_service(estate.sd.id).get()
    assert sd.storage.type == types.StorageType.NFS and sd.storage.path == "/exports/est"
    assert sd.storage.nfs_version == types.NfsVersion.V4_2
    assert sd.status is None  # attached: the top level reports no status, the data center does
    assert [d.id for d in sd.data_centers] == [dc.id]
    network = system.networks_service().network_service(estate.network.id).get()
    assert network.data_center.id == dc.id
    assert estate.profile.network.id == network.id
    profile = system.vnic_profiles_service().profile_service(estate.profile.id).get()
    assert profile.name == "est_net"
    host = system.hosts_service().host_service(estate.host.id).get()
    assert host.cluster.id == estate.cluster.id
    assert host.status != types.HostStatus.UP
    assert host.root_password is None  # never echoed
    assert host.ssh.user.user_name == "root"


def test_network_vlan_round_trips(conn, estate) -> None:
    """``<vlan id="100"/>``: the id is an XML attribute of a struct that is not an entity."""
    networks = conn.system_service().networks_service()
    network = networks.network_service(estate.network.id).get()
    assert network.vlan is not None and network.vlan.id == 100
    assert [n.id for n in networks.list(search="vlan_id=100")] == [estate.network.id]


def test_attached_domain_cannot_be_activated_without_a_live_host(conn, estate) -> None:
    attached_sds = conn.system_service().data_centers_service().data_center_service(estate.dc.id) \
        .storage_domains_service()
    attached = attached_sds.storage_domain_service(estate.sd.id)
    assert attached.get().status == types.StorageDomainStatus.MAINTENANCE
    with pytest.raises(sdk.Error) as err:
        attached.activate()
    assert err.value.code == 409
    assert err.value.fault is not None and "host" in (err.value.fault.detail or "").lower()
    assert attached.get().status == types.StorageDomainStatus.MAINTENANCE
    assert [s.id for s in attached_sds.list()] == [estate.sd.id]


def test_cluster_networks_include_management_and_vm_network(conn, estate) -> None:
    nets = conn.system_service().clusters_service().cluster_service(estate.cluster.id).networks_service().list()
    assert names(nets) == ["est_net", "ovirtmgmt"]
    dc_nets = conn.follow_link(conn.system_service().data_centers_service().data_center_service(estate.dc.id)
                               .get().networks)
    assert names(dc_nets) == ["est_net", "ovirtmgmt"]


# ---------------------------------------------------------------- search


def test_search_by_name_and_wildcards(conn, estate) -> None:
    system = conn.system_service()
    dcs = system.data_centers_service()
    assert [d.id for d in dcs.list(search="name=est_dc")] == [estate.dc.id]
    assert [d.id for d in dcs.list(search='name="est_dc"')] == [estate.dc.id]
    assert [d.id for d in dcs.list(search="name=EST_DC")] == [estate.dc.id]  # case-insensitive by default
    assert dcs.list(search="name=EST_DC", case_sensitive=True) == []
    assert [d.id for d in dcs.list(search="name=est_*")] == [estate.dc.id]
    assert [d.id for d in dcs.list(search="name=*t_d*")] == [estate.dc.id]
    assert dcs.list(search="name=nothing_like_this*") == []
    assert names(system.clusters_service().list(search="name=est_*")) == ["est_cluster"]
    assert names(system.storage_domains_service().list(search="name=est_nfs")) == ["est_nfs"]
    assert names(system.networks_service().list(search="name=est_n*")) == ["est_net"]
    assert names(system.hosts_service().list(search="name=est_host")) == ["est_host"]
    assert len(dcs.list(max=1)) == 1


def test_cross_reference_searches(conn, estate) -> None:
    system = conn.system_service()
    dcs = system.data_centers_service()
    assert [d.id for d in dcs.list(search="Clusters.name=est_cluster")] == [estate.dc.id]
    assert [d.id for d in dcs.list(search='Clusters.name="est_cluster"')] == [estate.dc.id]
    assert [d.id for d in dcs.list(search="Clusters.name=est_clu*")] == [estate.dc.id]
    assert [d.id for d in dcs.list(search="storage=est_nfs")] == [estate.dc.id]
    assert names(system.hosts_service().list(search="cluster=est_cluster")) == ["est_host"]
    assert system.hosts_service().list(search="cluster=Default and name=est_host") == []
    assert names(system.clusters_service().list(search="datacenter=est_dc")) == ["est_cluster"]
    assert names(system.networks_service().list(search="datacenter=est_dc")) == ["est_net", "ovirtmgmt"]


def test_blank_template_is_found_for_any_data_center(conn, estate) -> None:
    templates = conn.system_service().templates_service()
    for dc_name in (estate.dc.name, "Default"):
        found = templates.list(search=f"name=Blank and datacenter={dc_name}")
        assert [t.id for t in found] == [BLANK_ID], dc_name
    assert [t.id for t in templates.list(search='name="Blank"')] == [BLANK_ID]


def test_missing_ids_are_not_found(conn) -> None:
    system = conn.system_service()
    services = [
        system.data_centers_service().data_center_service(MISSING_ID),
        system.clusters_service().cluster_service(MISSING_ID),
        system.storage_domains_service().storage_domain_service(MISSING_ID),
        system.networks_service().network_service(MISSING_ID),
        system.hosts_service().host_service(MISSING_ID),
    ]
    for service in services:
        with pytest.raises(sdk.NotFoundError) as err:
            service.get()
        assert err.value.code == 404
    with pytest.raises(sdk.NotFoundError):
        system.data_centers_service().data_center_service(MISSING_ID).remove()


def test_duplicate_names_are_conflicts(conn, estate) -> None:
    system = conn.system_service()
    before = len(system.data_centers_service().list())
    with pytest.raises(sdk.Error) as err:
        system.data_centers_service().add(types.DataCenter(name=estate.dc.name))
    assert err.value.code == 409
    assert estate.dc.name in err.value.fault.detail
    assert len(system.data_centers_service().list()) == before
    with pytest.raises(sdk.Error) as err:
        system.clusters_service().add(types.Cluster(name=estate.cluster.name,
                                                    data_center=types.DataCenter(id=estate.dc.id)))
    assert err.value.code == 409
    with pytest.raises(sdk.Error) as err:
        system.storage_domains_service().add(types.StorageDomain(
            name=estate.sd.name, type=types.StorageDomainType.DATA,
            storage=types.HostStorage(type=types.StorageType.NFS, address="nfs.example.com", path="/x")))
    assert err.value.code == 409


# ---------------------------------------------------------------- updates


def test_update_data_center_and_cluster_descriptions(conn, estate) -> None:
    system = conn.system_service()
    dc_service = system.data_centers_service().data_center_service(estate.dc.id)
    updated = dc_service.update(types.DataCenter(description="renovated"))
    assert updated.description == "renovated" and updated.name == estate.dc.name
    assert dc_service.get().description == "renovated"
    cluster_service = system.clusters_service().cluster_service(estate.cluster.id)
    updated_cluster = cluster_service.update(types.Cluster(description="cluster renovated"))
    assert updated_cluster.description == "cluster renovated"
    got = cluster_service.get()
    assert got.description == "cluster renovated" and got.cpu.type == CPU_TYPE  # the rest is kept
    assert [c.id for c in system.clusters_service().list(search='description="cluster renovated"')] \
        == [estate.cluster.id]


# ---------------------------------------------------------------- VMs, disks, NICs


def test_vm_as_built(conn, estate, vm_estate) -> None:
    vm_service = conn.system_service().vms_service().vm_service(vm_estate.vm.id)
    vm = vm_service.get()
    assert vm.name == "est_vm" and vm.memory == GiB
    assert vm.cluster.id == estate.cluster.id and vm.template.id == BLANK_ID
    assert vm.status == types.VmStatus.DOWN
    attachments = vm_service.disk_attachments_service().list()
    assert len(attachments) == 1
    att = attachments[0]
    assert att.interface == types.DiskInterface.VIRTIO_SCSI and att.bootable is True and att.active is True
    disk = conn.system_service().disks_service().disk_service(vm_estate.disk_id).get()
    assert disk.name == "est_vm_disk0" and disk.provisioned_size == 2 * GiB
    assert disk.format == types.DiskFormat.COW
    assert [s.id for s in disk.storage_domains] == [estate.sd.id]
    nics = vm_service.nics_service().list()
    assert [(n.name, n.vnic_profile.id) for n in nics] == [("nic1", estate.profile.id)]
    assert nics[0].mac is not None and nics[0].mac.address


def test_vm_searches(conn, estate, vm_estate) -> None:
    vms = conn.system_service().vms_service()
    assert [v.id for v in vms.list(search="name=est_vm")] == [vm_estate.vm.id]
    assert [v.id for v in vms.list(search="name=est_v*")] == [vm_estate.vm.id]
    assert [v.id for v in vms.list(search="cluster=est_cluster")] == [vm_estate.vm.id]
    assert [v.id for v in vms.list(search='cluster="est_cluster" and name=est_*')] == [vm_estate.vm.id]
    assert [v.id for v in vms.list(search="datacenter=est_dc")] == [vm_estate.vm.id]
    assert vms.list(search="cluster=Default and name=est_vm") == []
    disks = conn.system_service().disks_service()
    assert [d.id for d in disks.list(search="name=est_vm_disk0")] == [vm_estate.disk_id]


def test_vm_follow(conn, vm_estate) -> None:
    vms = conn.system_service().vms_service()
    (vm,) = vms.list(search="name=est_vm", follow="disk_attachments.disk,nics")
    assert len(vm.disk_attachments) == 1
    disk = vm.disk_attachments[0].disk
    assert disk.id == vm_estate.disk_id and disk.name == "est_vm_disk0"  # followed: a full disk, not a link
    assert disk.provisioned_size == 2 * GiB
    assert [n.name for n in vm.nics] == ["nic1"]
    one = vms.vm_service(vm_estate.vm.id).get(follow="nics")
    assert [n.name for n in one.nics] == ["nic1"]


def test_vm_follow_link(conn, vm_estate) -> None:
    vm = conn.system_service().vms_service().vm_service(vm_estate.vm.id).get()
    assert vm.nics is not None and vm.nics.href.endswith(f"/vms/{vm_estate.vm.id}/nics")
    assert [n.name for n in conn.follow_link(vm.nics)] == ["nic1"]
    attachments = conn.follow_link(vm.disk_attachments)
    assert [a.disk.id for a in attachments] == [vm_estate.disk_id]
    assert conn.follow_link(vm.cluster).name == "est_cluster"
    assert conn.follow_link(vm.template).id == BLANK_ID
    assert conn.follow_link(attachments[0].disk).name == "est_vm_disk0"


def test_vm_update_memory(conn, vm_estate) -> None:
    vm_service = conn.system_service().vms_service().vm_service(vm_estate.vm.id)
    updated = vm_service.update(types.Vm(memory=2 * GiB, memory_policy=types.MemoryPolicy(guaranteed=GiB)))
    assert updated.memory == 2 * GiB
    got = vm_service.get()
    assert got.memory == 2 * GiB and got.name == "est_vm" and got.cluster.id == vm_estate.vm.cluster.id
    assert got.description == "estate VM"


def test_vm_missing_and_duplicate(conn, estate, vm_estate) -> None:
    vms = conn.system_service().vms_service()
    with pytest.raises(sdk.NotFoundError):
        vms.vm_service(MISSING_ID).get()
    with pytest.raises(sdk.NotFoundError):
        conn.system_service().disks_service().disk_service(MISSING_ID).get()
    before = len(vms.list())
    with pytest.raises(sdk.Error) as err:
        vms.add(types.Vm(name="est_vm", cluster=types.Cluster(id=estate.cluster.id),
                         template=types.Template(id=BLANK_ID)))
    assert err.value.code == 409
    assert len(vms.list()) == before


def test_out_of_range_memory_is_refused_and_searches_keep_working(conn, estate, vm_estate) -> None:
    vms = conn.system_service().vms_service()
    try:
        with pytest.raises(sdk.Error) as err:
            vms.add(types.Vm(name="est_huge", cluster=types.Cluster(id=estate.cluster.id),
                             template=types.Template(id=BLANK_ID), memory=1 << 64))
        assert err.value.code == 400 and "memory" in err.value.fault.detail
    finally:
        for vm in vms.list(search="name=est_huge"):
            vms.vm_service(vm.id).remove()
    assert vm_estate.vm.id in [v.id for v in vms.list(search=f"memory>={GiB}")]


def test_events_exist(conn, vm_estate) -> None:
    events = conn.system_service().events_service().list(max=1)
    assert len(events) == 1 and events[0].index is not None


# ---------------------------------------------------------------- removal


def _gone(service) -> bool:
    try:
        service.get()
    except sdk.NotFoundError:
        return True
    return False


def test_remove_everything(conn) -> None:
    system = conn.system_service()
    estate = build_estate(conn, "gone")
    vm = build_vm(conn, estate, "gone_vm")

    vm_service = system.vms_service().vm_service(vm.vm.id)
    vm_service.remove()
    assert _gone(vm_service)
    assert _gone(system.disks_service().disk_service(vm.disk_id))  # the VM's disks go with it

    network_service = system.networks_service().network_service(estate.network.id)
    network_service.remove()
    assert _gone(network_service)
    assert _gone(system.vnic_profiles_service().profile_service(estate.profile.id))

    attached_sds = system.data_centers_service().data_center_service(estate.dc.id).storage_domains_service()
    attached = attached_sds.storage_domain_service(estate.sd.id)
    if attached.get().status != types.StorageDomainStatus.MAINTENANCE:
        attached.deactivate()
    attached.remove()  # detach
    assert attached_sds.list() == []
    sd_service = system.storage_domains_service().storage_domain_service(estate.sd.id)
    assert sd_service.get().status == types.StorageDomainStatus.UNATTACHED
    sd_service.remove(host=estate.host.name)
    assert _gone(sd_service)

    host_service = system.hosts_service().host_service(estate.host.id)
    host_service.remove()
    assert _gone(host_service)
    cluster_service = system.clusters_service().cluster_service(estate.cluster.id)
    cluster_service.remove()
    assert _gone(cluster_service)
    dc_service = system.data_centers_service().data_center_service(estate.dc.id)
    dc_service.remove()
    assert _gone(dc_service)

    for collection in (system.data_centers_service(), system.clusters_service(), system.hosts_service(),
                       system.storage_domains_service(), system.networks_service(), system.vms_service(),
                       system.disks_service()):
        assert collection.list(search="name=gone*") == [], collection


def test_data_center_with_a_cluster_cannot_be_removed(conn) -> None:
    system = conn.system_service()
    dc = system.data_centers_service().add(types.DataCenter(name="busy_dc"))
    cluster = system.clusters_service().add(types.Cluster(name="busy_cluster", data_center=types.DataCenter(id=dc.id),
                                                          cpu=types.Cpu(type=CPU_TYPE)))
    dc_service = system.data_centers_service().data_center_service(dc.id)
    with pytest.raises(sdk.Error) as err:
        dc_service.remove()
    assert err.value.code == 409
    assert dc_service.get().name == "busy_dc"
    system.clusters_service().cluster_service(cluster.id).remove()
    dc_service.remove()
    assert _gone(dc_service)


# ---------------------------------------------------------------- logout


def test_close_with_logout_revokes_the_token(server) -> None:
    connection = connect(server)
    assert connection.test(raise_exception=True)
    token = connection.authenticate()
    headers = {"Authorization": f"Bearer {token}", "Version": "4"}
    assert httpx.get(server.url, headers=headers).status_code == 200
    connection.close(logout=True)
    after = httpx.get(server.url, headers=headers)
    assert after.status_code == 401
    assert after.headers.get("WWW-Authenticate", "").startswith("Basic")
    # The SDK with the revoked token is refused too, as an AuthError.
    stale = sdk.Connection(url=server.url, token=token)
    try:
        with pytest.raises(sdk.AuthError):
            stale.system_service().get()
    finally:
        stale.close(logout=False)


def test_close_without_logout_keeps_the_token(server) -> None:
    connection = connect(server)
    token = connection.authenticate()
    connection.close(logout=False)
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(server.url, headers=headers).status_code == 200
    reuse = sdk.Connection(url=server.url, token=token)
    try:
        assert reuse.test(raise_exception=True)
    finally:
        reuse.close(logout=True)
    assert httpx.get(server.url, headers=headers).status_code == 401
