"""Deploying the host agent over SSH to a real OpenSSH server on loopback (the ``sshd`` fixture), as the
dedicated test user: with its password, with the engine's public key, and the failures that must be clear."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import ovirtsdk4.types as t
import pytest

from tests import live
from tests.hosts.helpers import connect, events_since, last_event_index, wait_for

INSTALLED = (t.HostStatus.UP, t.HostStatus.INSTALL_FAILED)


@pytest.fixture(scope="module")
def deployer(sshd, tmp_path_factory):
    """An engine configured to deploy agents as the test user, into its writable directory, on test libvirt."""
    config = {"monitor_interval": 0.5, "non_responsive_timeout": 3.0,
              "agent_state_dir": f"{sshd.agents_dir}/{{address}}", "agent_libvirt_uri": "test://{state_dir}/node.xml"}
    if sshd.agent_command:
        config["agent_command"] = sshd.agent_command
    server = live.start(tmp_path_factory.mktemp("deployer"), config=config, monitor=True)
    try:
        yield server
    finally:
        server.stop()
        for pid_file in sshd.agents_dir.glob("*/agent.pid"):  # the agents this module deployed
            _stop_agent(pid_file)


@pytest.fixture(scope="module")
def conn(deployer):
    connection = connect(deployer)
    try:
        yield connection
    finally:
        connection.close()


def _stop_agent(pid_file: Path) -> None:
    try:
        os.kill(int(pid_file.read_text()), signal.SIGTERM)
    except (OSError, ValueError):
        pass
    pid_file.unlink(missing_ok=True)


def _owner(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid in /proc/{pid}/status")


def _add(conn, sshd, name: str, address: str, password: str | None = None, publickey: bool = False) -> str:
    ssh = t.Ssh(port=sshd.port, user=t.User(user_name=sshd.user),
                authentication_method=t.SshAuthenticationMethod.PUBLICKEY if publickey else None)
    host = conn.system_service().hosts_service().add(t.Host(
        name=name, address=address, port=live.free_port(address), cluster=t.Cluster(name="Default"), ssh=ssh,
        root_password=password))
    return host.id


def _settle(conn, host_id: str) -> t.Host:
    service = conn.system_service().hosts_service().host_service(host_id)
    return wait_for(service.get, lambda h: h.status in INSTALLED, timeout=45, interval=0.1,
                    what="the installation to end")


def _remove(conn, sshd, host: t.Host) -> None:
    service = conn.system_service().hosts_service().host_service(host.id)
    if service.get().status != t.HostStatus.INSTALL_FAILED:
        service.deactivate()
        wait_for(service.get, lambda h: h.status == t.HostStatus.MAINTENANCE, what="maintenance")
    service.remove()
    _stop_agent(sshd.agents_dir / host.address / "agent.pid")


def _check_deployed(deployer, sshd, host: t.Host) -> None:
    state_dir = sshd.agents_dir / host.address
    pid = int((state_dir / "agent.pid").read_text())
    assert _owner(pid) == sshd.uid  # it runs as the SSH user, not as the engine's
    assert (state_dir / "secret").read_text() == deployer.engine.broker.secret
    caps = deployer.engine.broker.capabilities({"address": host.address, "port": host.port})
    assert caps["hypervisor"] == "TEST" and caps["uri"] == f"test://{state_dir}/node.xml"
    assert host.memory == 16 << 30


def test_deploy_with_password(deployer, conn, sshd):
    mark = last_event_index(conn)
    host_id = _add(conn, sshd, "ssh-password", sshd.addresses[0], password=sshd.password)
    host = _settle(conn, host_id)
    assert host.status == t.HostStatus.UP, [e.description for e in events_since(conn, mark)]
    try:
        _check_deployed(deployer, sshd, host)
        texts = [e.description for e in events_since(conn, mark)]
        assert any("Host ssh-password installed: its agent answers" in x for x in texts), texts
        assert f"Accepted password for {sshd.user}" in sshd.log()
    finally:
        _remove(conn, sshd, host)


def test_deploy_with_the_engine_public_key(deployer, conn, sshd):
    sshd.authorize(deployer.engine.public_key())
    try:
        host_id = _add(conn, sshd, "ssh-key", sshd.addresses[1], publickey=True)
        host = _settle(conn, host_id)
    finally:
        sshd.authorize(None)
    try:
        assert host.status == t.HostStatus.UP
        _check_deployed(deployer, sshd, host)
        assert f"Accepted publickey for {sshd.user}" in sshd.log()
    finally:
        _remove(conn, sshd, host)


def test_wrong_password_fails_the_install_clearly(deployer, conn, sshd):
    mark = last_event_index(conn)
    address = sshd.addresses[2]
    host_id = _add(conn, sshd, "ssh-wrong", address, password="not-the-password")
    host = _settle(conn, host_id)
    try:
        assert host.status == t.HostStatus.INSTALL_FAILED
        errors = [e for e in events_since(conn, mark) if e.severity == t.LogSeverity.ERROR]
        texts = [e.description for e in errors]
        assert any("Host ssh-wrong installation failed" in x
                   and f"SSH authentication to {sshd.user}@{address}:{sshd.port} failed" in x for x in texts), texts
        assert any(e.host is not None and e.host.id == host_id for e in errors)
        assert not (sshd.agents_dir / address).exists()  # nothing was deployed
    finally:
        _remove(conn, sshd, host)


def test_unauthorised_key_fails_the_install_clearly(deployer, conn, sshd):
    sshd.authorize(None)
    mark = last_event_index(conn)
    address = sshd.addresses[3]
    host_id = _add(conn, sshd, "ssh-nokey", address, publickey=True)
    host = _settle(conn, host_id)
    try:
        assert host.status == t.HostStatus.INSTALL_FAILED
        texts = [e.description for e in events_since(conn, mark) if e.severity == t.LogSeverity.ERROR]
        assert any("Host ssh-nokey installation failed" in x and "SSH authentication" in x
                   and "key not authorised" in x for x in texts), texts
    finally:
        _remove(conn, sshd, host)


def test_reinstall_after_a_failure(deployer, conn, sshd):
    """A host whose install failed is installed again with the right password (the ``install`` action)."""
    address = sshd.addresses[2]
    host_id = _add(conn, sshd, "ssh-again", address, password="wrong")
    assert _settle(conn, host_id).status == t.HostStatus.INSTALL_FAILED
    service = conn.system_service().hosts_service().host_service(host_id)
    service.install(root_password=sshd.password)  # the host keeps its ssh user and port
    host = _settle(conn, host_id)
    try:
        assert host.status == t.HostStatus.UP
        _check_deployed(deployer, sshd, host)
    finally:
        _remove(conn, sshd, host)


def test_deploy_to_a_host_added_by_name(deployer, conn, sshd):
    """``localhost`` is a name, not an address: the agent's certificate names it (``DNS:localhost``)."""
    host_id = conn.system_service().hosts_service().add(t.Host(
        name="ssh-by-name", address="localhost", port=live.free_port(), cluster=t.Cluster(name="Default"),
        ssh=t.Ssh(port=sshd.port, user=t.User(user_name=sshd.user)), root_password=sshd.password)).id
    host = _settle(conn, host_id)
    try:
        assert host.status == t.HostStatus.UP
        _check_deployed(deployer, sshd, host)
    finally:
        _remove(conn, sshd, host)
