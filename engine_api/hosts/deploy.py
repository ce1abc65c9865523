"""Deploy the host agent over SSH (paramiko): with the root password or the engine's public key.

The engine writes the agent's credential into the host's state directory and starts the agent detached;
the host must have vdc installed (``agent_command`` in the engine configuration names how to run it).
"""

from __future__ import annotations

import shlex
import time
from typing import TYPE_CHECKING

import paramiko

if TYPE_CHECKING:
    from engine_api.engine import Engine


class DeployError(RuntimeError):
    pass


def _connect(engine: Engine, host: dict, credentials: dict) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    kwargs: dict = {"hostname": host["address"], "port": int(credentials.get("port") or 22),
                    "username": credentials.get("user") or "root", "timeout": 10, "banner_timeout": 10,
                    "auth_timeout": 10, "allow_agent": False, "look_for_keys": False}
    if credentials.get("password"):
        kwargs["password"] = credentials["password"]
    else:
        kwargs["pkey"] = engine.ssh_key()
    try:
        client.connect(**kwargs)
    except paramiko.AuthenticationException:
        raise DeployError(f"SSH authentication to {kwargs['username']}@{host['address']}:{kwargs['port']} "
                          "failed: wrong password or key not authorised") from None
    except (TimeoutError, paramiko.SSHException, OSError) as e:
        raise DeployError(f"cannot reach SSH on {host['address']}:{kwargs['port']}: {e}") from None
    return client


def _run(client: paramiko.SSHClient, command: str, timeout: float = 30) -> str:
    _stdin, stdout, stderr = client.exec_command(command, timeout=timeout)
    status = stdout.channel.recv_exit_status()
    out, err = stdout.read().decode(errors="replace"), stderr.read().decode(errors="replace")
    if status != 0:
        raise DeployError(f"'{command.split()[0]}' on the host exited with {status}: {err.strip() or out.strip()}")
    return out


def deploy(engine: Engine, host: dict, credentials: dict) -> None:
    cfg = engine.config
    state_dir = cfg["agent_state_dir"].format(address=host["address"])
    uri = cfg["agent_libvirt_uri"].format(state_dir=state_dir)
    client = _connect(engine, host, credentials)
    try:
        q = shlex.quote
        _run(client, f"mkdir -p {q(state_dir)} && chmod 700 {q(state_dir)}")
        sftp = client.open_sftp()
        try:
            with sftp.file(f"{state_dir}/secret", "w") as f:
                f.write(engine.broker.secret)
            sftp.chmod(f"{state_dir}/secret", 0o600)
            if uri.startswith("test://"):
                from engine_api.hosts.lab import NODE_XML

                with sftp.file(f"{state_dir}/node.xml", "w") as f:
                    f.write(NODE_XML.format(kib=16 * 1024 * 1024))
        finally:
            sftp.close()
        listen = f"{host['address']}:{host.get('port') or 54321}"
        command = (f"{cfg['agent_command']} serve --listen {q(listen)} --libvirt-uri {q(uri)} "
                   f"--state-dir {q(state_dir)}")
        _run(client, f"nohup setsid {command} > {q(state_dir)}/agent.log 2>&1 < /dev/null & echo started")
    finally:
        client.close()
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            engine.broker.capabilities(host, timeout=2)
            return
        except Exception:  # noqa: BLE001 - keep waiting for the agent to come up
            time.sleep(0.3)
    raise DeployError(f"the agent deployed on {host['address']} did not answer within 30 s "
                      f"(see {state_dir}/agent.log on the host)")
