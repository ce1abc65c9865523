"""Fencing a host that stopped answering, as oVirt's non-responding treatment begins it: SSH soft fencing,
which restarts the host's agent over SSH (oVirt runs ``SshSoftFencingCommand``, a restart of vdsmd).

The engine logs in with the key it deploys hosts with (its SSH public key must be authorised on the host:
a host deployed with ``ssh.authentication_method=publickey``), as the host's SSH user and port, and accepts
only the host key recorded at deployment. The agent is stopped (its pid file) and started again with the
command deployment used. Success means the agent was restarted, not that the host's VMs were stopped: a
restarted agent reports them again.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from engine_api.hosts.deploy import DeployError, _connect, _run

if TYPE_CHECKING:
    from engine_api.engine import Engine


class FenceError(RuntimeError):
    pass


def restart_command(engine: Engine, host: dict) -> str:
    """The shell line that restarts the host's agent (``ssh_soft_fencing_command`` replaces it when set)."""
    cfg = engine.config
    if cfg.get("ssh_soft_fencing_command"):
        return str(cfg["ssh_soft_fencing_command"])
    q = shlex.quote
    state_dir = cfg["agent_state_dir"].format(address=host["address"])
    uri = cfg["agent_libvirt_uri"].format(state_dir=state_dir)
    listen = f"{host['address']}:{host.get('port') or 54321}"
    serve = f"{cfg['agent_command']} serve --listen {q(listen)} --libvirt-uri {q(uri)} --state-dir {q(state_dir)}"
    pid = f"{q(state_dir)}/agent.pid"
    return (f"if [ -f {pid} ]; then kill -9 $(cat {pid}) 2>/dev/null; fi; sleep 0.5; "
            f"nohup setsid {serve} >> {q(state_dir)}/agent.log 2>&1 < /dev/null & echo restarted")


def soft_fence(engine: Engine, host: dict) -> None:
    """Restart the host's agent over SSH; raises FenceError saying why it could not."""
    ssh = host.get("ssh") or {}
    user = ssh.get("user")
    if isinstance(user, dict):
        user = user.get("user_name") or user.get("name")
    credentials = {"user": user or "root", "port": ssh.get("port") or 22, "public_key": True}
    try:
        client = _connect(engine, host, credentials)
    except DeployError as e:
        raise FenceError(str(e)) from None
    try:
        _run(client, restart_command(engine, host), timeout=30)
    except DeployError as e:
        raise FenceError(str(e)) from None
    except Exception as e:  # noqa: BLE001 - an SSH session that broke midway
        raise FenceError(f"the SSH session to {host['address']} failed: {e}") from None
    finally:
        client.close()
