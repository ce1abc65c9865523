"""A QEMU host deployed the production way: over SSH (the real sshd, as its unprivileged test user), enrolled
with the engine's CAs (the agent's key and libvirt's key made on the host), reached over mutual TLS, and
running a real qemu guest."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import ovirtsdk4.types as t
import pytest
from cryptography import x509

from engine_api.lab.libvirtd import Libvirtd
from engine_api.protocol.tls import agent_files, enroll_libvirt, install_libvirt, libvirt_files
from tests import live
from tests.hosts.helpers import Estate, MiB, connect, wait_for
from tests.qemu.guest import read_counter, write_boot_sector


@pytest.fixture(scope="module")
def deployed(sshd, tmp_path_factory):
    """An engine that deploys agents as the test user onto a QEMU libvirtd of their own."""
    import pwd

    host_dir = sshd.workdir / "qemu-host"  # below the sshd's 0711 directory: the test user can reach it
    host_dir.mkdir(mode=0o755)
    daemon = Libvirtd(host_dir / "libvirt", live.lab_address(), 11, socket_mode="0777")
    engine_dir = tmp_path_factory.mktemp("ssh-qemu")
    config = {"monitor_interval": 0.5, "non_responsive_timeout": 5.0,
              "agent_state_dir": f"{sshd.agents_dir}/{{address}}", "agent_libvirt_uri": daemon.uri,
              "libvirt_pki_dir": f"{sshd.agents_dir}/libvirt-pki"}
    if sshd.agent_command:
        config["agent_command"] = sshd.agent_command
    server = live.start(engine_dir, config=config, monitor=True)
    storage = sshd.workdir / "qemu-storage"
    storage.mkdir(mode=0o755)
    user = pwd.getpwnam(sshd.user)
    os.chown(storage, user.pw_uid, user.pw_gid)
    try:
        install_libvirt(daemon.pki_dir, server.engine.pki.sign_request(enroll_libvirt(daemon.pki_dir),
                                                                      daemon.address, authority="qemu"),
                        server.engine.pki.qemu_ca_pem)
        daemon.start()
        daemon.wait_ready()
        yield server, daemon, storage
    finally:
        server.stop()
        for pid_file in sshd.agents_dir.glob("*/agent.pid"):
            try:
                os.kill(int(pid_file.read_text()), signal.SIGTERM)
            except (OSError, ValueError):
                pass
        daemon.stop()


def _issuer(pem: bytes) -> str:
    return x509.load_pem_x509_certificate(pem).issuer.rfc4514_string()


def test_ssh_deployed_host_runs_a_qemu_guest(sshd, deployed):
    server, daemon, storage = deployed
    conn = connect(server)
    try:
        system = conn.system_service()
        address = sshd.addresses[2]
        host = system.hosts_service().add(t.Host(
            name="qemu-ssh", address=address, port=live.free_port(address), cluster=t.Cluster(name="Default"),
            ssh=t.Ssh(port=sshd.port, user=t.User(user_name=sshd.user)), root_password=sshd.password))
        service = system.hosts_service().host_service(host.id)
        host = wait_for(service.get, lambda h: h.status in (t.HostStatus.UP, t.HostStatus.INSTALL_FAILED),
                        timeout=60, what="the deployed host up", describe=lambda h: h.status)
        assert host.status == t.HostStatus.UP, [e.description for e in system.events_service().list(max=5)]
        assert host.ssh.fingerprint.startswith("SHA256:")

        # enrolled on the host: the agent's certificate from the engine's CA, libvirt's from its QEMU CA
        state = Path(sshd.agents_dir) / address
        pki = server.engine.pki
        assert _issuer(agent_files(state)["cert"].read_bytes()) == _issuer(pki.ca_pem)
        hypervisor = libvirt_files(f"{sshd.agents_dir}/libvirt-pki")
        assert _issuer(hypervisor["cert"].read_bytes()) == _issuer(pki.qemu_ca_pem) != _issuer(pki.ca_pem)
        assert hypervisor["key"].stat().st_mode & 0o777 == 0o600

        sd = system.storage_domains_service().add(t.StorageDomain(
            name="qemu-ssh-nfs", type=t.StorageDomainType.DATA, host=t.Host(id=host.id),
            storage=t.HostStorage(type=t.StorageType.NFS, address="127.0.0.1", path=str(storage / "data"))))
        dc = system.data_centers_service().list(search="name=Default")[0]
        attached = system.data_centers_service().data_center_service(dc.id).storage_domains_service()
        attached.add(t.StorageDomain(id=sd.id))
        wait_for(attached.storage_domain_service(sd.id).get, lambda a: a.status == t.StorageDomainStatus.ACTIVE,
                 what="the domain active")

        estate = Estate(server, conn, [host.id], sd.id, [address])
        vms = system.vms_service()
        vm = vms.add(t.Vm(name="q-ssh", cluster=t.Cluster(name="Default"), template=t.Template(name="Blank"),
                          memory=64 * MiB, memory_policy=t.MemoryPolicy(guaranteed=64 * MiB, max=64 * MiB)))
        attachment = vms.vm_service(vm.id).disk_attachments_service().add(t.DiskAttachment(
            disk=t.Disk(name="q-ssh-boot", format=t.DiskFormat.RAW, sparse=True, provisioned_size=1 * MiB,
                        storage_domains=[t.StorageDomain(id=sd.id)]),
            interface=t.DiskInterface.VIRTIO, bootable=True, active=True))
        disks = system.disks_service()
        wait_for(lambda: disks.disk_service(attachment.disk.id).get(), lambda d: d.status == t.DiskStatus.OK,
                 what="the disk ok", describe=lambda d: d.status)
        write_boot_sector(storage / "data" / attachment.disk.id)
        estate.start_on(vm.id, 0)
        assert wait_for(lambda: read_counter(daemon.uri, vm.id), lambda n: n > 0, timeout=120,
                        what="the guest counting") > 0
        estate.vm(vm.id).stop()
        estate.wait_vm_status(vm.id, t.VmStatus.DOWN, timeout=30)
    finally:
        conn.close()
