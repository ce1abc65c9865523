"""VMs on real QEMU lab hosts: real processes, real disk images, the counting guest running."""

from __future__ import annotations

import json
import subprocess
import sys

import libvirt
import ovirtsdk4.types as t
import pytest

from engine_api.hosts.pki import EnginePki
from engine_api.lab.libvirtd import Libvirtd
from engine_api.protocol.tls import install_libvirt, libvirt_files
from tests.live import lab_address
from tests.qemu.vms import counter, counting_vm, disk_path, libvirt_uri, wait_counting


def test_lab_hosts_run_their_own_libvirtd(qestate):
    uuids = set()
    for i in range(len(qestate.host_ids)):
        conn = libvirt.open(libvirt_uri(qestate, qestate.host_ids[i]))
        try:
            assert conn.getType() == "QEMU"
            uuids.add(conn.getCapabilities().split("<uuid>")[1].split("</uuid>")[0])
        finally:
            conn.close()
    assert len(uuids) == len(qestate.host_ids)  # each host has its own identity


def test_vm_runs_as_a_qemu_process_and_stops(qestate):
    vm_id, disk_id = counting_vm(qestate, "q-run")
    try:
        info = json.loads(subprocess.run(["qemu-img", "info", "-U", "--output=json", disk_path(qestate, disk_id)],
                                         capture_output=True, text=True, check=True).stdout)
        assert info["format"] == "raw" and info["virtual-size"] == 1 << 20
        vm = qestate.start_on(vm_id, 0)
        assert vm.host.id == qestate.host_ids[0]
        ps = subprocess.run(["pgrep", "-f", f"qemu-system.*-uuid {vm_id}"], capture_output=True, text=True)
        assert ps.stdout.strip(), "no qemu process runs the VM"
        first = wait_counting(qestate, vm_id)
        assert wait_counting(qestate, vm_id, first) > first  # the guest keeps running
        qestate.vm(vm_id).stop()
        qestate.wait_vm_status(vm_id, t.VmStatus.DOWN)
        ps = subprocess.run(["pgrep", "-f", f"qemu-system.*-uuid {vm_id}"], capture_output=True, text=True)
        assert not ps.stdout.strip()
    finally:
        qestate.destroy_vm(vm_id)


def test_restart_starts_the_guest_afresh(qestate):
    vm_id, _ = counting_vm(qestate, "q-restart")
    try:
        qestate.start_on(vm_id, 1)
        wait_counting(qestate, vm_id, 20)
        qestate.vm(vm_id).stop()
        qestate.wait_vm_status(vm_id, t.VmStatus.DOWN)
        qestate.start_on(vm_id, 1)
        assert counter(qestate, vm_id) < 20
    finally:
        qestate.destroy_vm(vm_id)


def _pkipath(directory, pki, names: list[str], authority: str):
    """A libvirt client PKI directory (``?pkipath=``) holding a certificate the given CA of ``pki`` signed."""
    key, cert = pki.issue(names, authority=authority)
    directory.mkdir()
    (directory / "cacert.pem").write_bytes(pki.qemu_ca_pem)
    (directory / "clientcert.pem").write_bytes(cert)
    (directory / "clientkey.pem").write_bytes(key)
    return directory


def test_hypervisors_talk_tls_with_certificates_of_the_qemu_ca(qestate, tmp_path):
    """What a peer's live migration connects to: TLS only, a client certificate from the engine's QEMU CA."""
    pki = qestate.live.engine.pki
    daemon = qestate.live.engine.lab.daemons[1]
    assert daemon.migration_uri.startswith("qemu+tls://")
    trusted = _pkipath(tmp_path / "trusted", pki, ["127.0.0.1"], "qemu")
    conn = libvirt.open(f"{daemon.migration_uri}?pkipath={trusted}")
    try:
        assert conn.getType() == "QEMU"
    finally:
        conn.close()
    stranger = _pkipath(tmp_path / "stranger", pki, ["127.0.0.1"], "ca")  # the agents' CA, not the hypervisors'
    with pytest.raises(libvirt.libvirtError):
        libvirt.open(f"{daemon.migration_uri}?pkipath={stranger}")
    with pytest.raises(libvirt.libvirtError):  # the plain TCP port is closed
        libvirt.open(f"qemu+tcp://{daemon.address}/system")


def test_deployment_enrolls_the_hypervisor_with_the_qemu_ca(tmp_path):
    """``vdc-agent enroll --libvirt-pki`` (what deployment runs over SSH) makes libvirt's key where libvirt
    reads it; signed by the engine's QEMU CA, it is what a libvirtd serves TLS with."""
    pki = EnginePki(tmp_path / "engine-pki")
    address = lab_address()
    daemon = Libvirtd(tmp_path / "h", address, 7)
    request = subprocess.run([sys.executable, "-m", "engine_api.agent", "enroll", "--libvirt-pki",
                              str(daemon.pki_dir)], capture_output=True, check=True).stdout
    key = libvirt_files(daemon.pki_dir)["key"]
    assert key.stat().st_mode & 0o777 == 0o600 and b"PRIVATE KEY" not in request
    install_libvirt(daemon.pki_dir, pki.sign_request(request, address, authority="qemu"), pki.qemu_ca_pem)
    daemon.start()
    try:
        daemon.wait_ready()
        conn = libvirt.open(f"{daemon.migration_uri}?pkipath={_pkipath(tmp_path / 'peer', pki, ['x'], 'qemu')}")
        conn.close()
    finally:
        daemon.stop()
