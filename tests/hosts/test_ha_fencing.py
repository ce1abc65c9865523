"""SSH soft fencing against a real OpenSSH server (the ``sshd`` fixture): hosts deployed with the engine's public
key, an agent that hangs (SIGSTOP) restarted over SSH, and its highly available VM, which holds no lease, left
where it runs: soft fencing proves nothing about the VMs, so it never starts a second copy."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import ovirtsdk4.types as t
import pytest

from tests import live
from tests.hosts.helpers import agent_vms, connect, events_since, last_event_index, wait_for


@pytest.fixture(scope="module")
def fencer(sshd, tmp_path_factory):
    """An engine that deploys agents as the test user (test libvirt) and may log in with its key to fence them."""
    config = {"monitor_interval": 0.5, "non_responsive_timeout": 3.0,
              "agent_state_dir": f"{sshd.agents_dir}/{{address}}", "agent_libvirt_uri": "test://{state_dir}/node.xml"}
    if sshd.agent_command:
        config["agent_command"] = sshd.agent_command
    server = live.start(tmp_path_factory.mktemp("fencer"), config=config, monitor=True)
    sshd.authorize(server.engine.public_key())
    try:
        yield server
    finally:
        sshd.authorize(None)
        server.stop()
        for pid_file in [*sshd.agents_dir.glob("*/agent.pid"), *sshd.agents_dir.glob("*/leasekeeper.pid")]:
            _kill(pid_file)


def _kill(pid_file: Path) -> None:
    try:
        os.kill(int(pid_file.read_text()), signal.SIGKILL)
    except (OSError, ValueError):
        pass
    pid_file.unlink(missing_ok=True)


def _deploy(conn, sshd, name: str, address: str) -> tuple[str, int]:
    port = live.free_port(address)
    host = conn.system_service().hosts_service().add(t.Host(
        name=name, address=address, port=port, cluster=t.Cluster(name="Default"),
        ssh=t.Ssh(port=sshd.port, user=t.User(user_name=sshd.user),
                  authentication_method=t.SshAuthenticationMethod.PUBLICKEY)))
    service = conn.system_service().hosts_service().host_service(host.id)
    wait_for(service.get, lambda h: h.status in (t.HostStatus.UP, t.HostStatus.INSTALL_FAILED), timeout=60,
             what=f"{name} installed")
    assert service.get().status == t.HostStatus.UP
    return host.id, port


def test_soft_fencing_restarts_a_hung_agent_over_ssh_and_its_vm_stays_put(fencer, sshd):
    conn = connect(fencer)
    system = conn.system_service()
    addresses = sshd.addresses[2], sshd.addresses[3]
    stopped: int | None = None
    vm_id = None
    try:
        hosts = [_deploy(conn, sshd, f"fence-{i}", a) for i, a in enumerate(addresses)]
        vm = system.vms_service().add(t.Vm(
            name="fenced-ha", cluster=t.Cluster(name="Default"), template=t.Template(name="Blank"),
            memory=256 << 20, high_availability=t.HighAvailability(enabled=True, priority=1)))
        vm_id = vm.id
        service = system.vms_service().vm_service(vm_id)
        service.start(vm=t.Vm(placement_policy=t.VmPlacementPolicy(hosts=[t.Host(id=hosts[0][0])])))
        wait_for(service.get, lambda v: v.status == t.VmStatus.UP, timeout=30, what="the VM up")
        mark = last_event_index(conn)

        pid_file = sshd.agents_dir / addresses[0] / "agent.pid"
        stopped = int(pid_file.read_text())
        os.kill(stopped, signal.SIGSTOP)  # the agent hangs; the host and its VM go on
        texts = wait_for(lambda: [e.description for e in events_since(conn, mark)],
                         lambda xs: any("was soft fenced" in x for x in xs), timeout=60,
                         what="the host soft fenced")
        assert any("SSH soft fencing restarts its agent" in x for x in texts), texts
        host = system.hosts_service().host_service(hosts[0][0])
        wait_for(host.get, lambda h: h.status == t.HostStatus.UP, timeout=30, what="the host up again")
        assert int(pid_file.read_text()) != stopped  # a new agent
        assert not Path(f"/proc/{stopped}").exists() or "zombie" in Path(f"/proc/{stopped}/status").read_text()
        vm = wait_for(service.get, lambda v: v.status == t.VmStatus.UP, timeout=15, what="the VM up")
        assert vm.host.id == hosts[0][0]
        assert agent_vms(fencer, addresses[0], hosts[0][1]) == {vm_id: "up"}
        assert agent_vms(fencer, addresses[1], hosts[1][1]) == {}  # never started elsewhere
        texts = [e.description for e in events_since(conn, mark)]
        assert not any("restarted because it is highly available" in x for x in texts), texts
        assert f"Accepted publickey for {sshd.user}" in sshd.log()
    finally:
        if stopped is not None:
            try:
                os.kill(stopped, signal.SIGCONT)
            except ProcessLookupError:
                pass
        if vm_id is not None:
            service = system.vms_service().vm_service(vm_id)
            if service.get().status != t.VmStatus.DOWN:
                service.stop()
                wait_for(service.get, lambda v: v.status == t.VmStatus.DOWN, timeout=30, what="the VM down")
            service.remove()
        conn.close()
