"""Deploy the host agent over SSH (paramiko): with the root password or the engine's public key.

The host's SSH key is pinned: its fingerprint is recorded at first contact (or given by the user) and any
other key is refused before a password or key is offered. The engine enrolls the host (``vdc-agent enroll``
makes the key on the host and prints a signing request; the engine's CA signs it), writes the certificate, the
CA's and the agent's credential into the host's state directory, and starts the agent detached; the host must
have vdc installed (``agent_command`` in the engine configuration names how to run it).
"""

from __future__ import annotations

import base64
import hashlib
import shlex
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import paramiko

from engine_api.hosts.pki import PkiError
from engine_api.hosts.testnode import NODE_XML
from engine_api.protocol.tls import agent_files, libvirt_files

if TYPE_CHECKING:
    from engine_api.engine import Engine


class DeployError(RuntimeError):
    pass


def fingerprint(key: paramiko.PKey) -> str:
    """``SHA256:<base64>``, as ``ssh-keygen -l`` and OpenSSH's clients print it."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")


class PinnedHostKey(paramiko.MissingHostKeyPolicy):
    """Accept the host's key only if its fingerprint is ``expected`` (any key when nothing is expected yet)."""

    def __init__(self, expected: str | None, where: str):
        self.expected = (expected or "").strip() or None
        self.where = where
        self.seen: dict | None = None  # {"fingerprint", "public_key"} of the key the host presented

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        self.seen = {"fingerprint": fingerprint(key), "public_key": f"{key.get_name()} {key.get_base64()}"}
        if self.expected and self.seen["fingerprint"] != self.expected:
            raise DeployError(f"SSH host key fingerprint mismatch for {self.where}: the host presents "
                              f"{self.seen['fingerprint']} but {self.expected} is expected; refusing to connect "
                              "(if the host was reinstalled, update its ssh fingerprint)")


def _connect(engine: Engine, host: dict, credentials: dict,
             on_host_key: Callable[[dict], None] | None = None) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    where = f"{host['address']}:{int(credentials.get('port') or 22)}"
    policy = PinnedHostKey(((host.get("ssh") or {}).get("fingerprint")), where)
    client.set_missing_host_key_policy(policy)
    kwargs: dict = {"hostname": host["address"], "port": int(credentials.get("port") or 22),
                    "username": credentials.get("user") or "root", "timeout": 10, "banner_timeout": 10,
                    "auth_timeout": 10, "allow_agent": False, "look_for_keys": False}
    if credentials.get("password"):
        kwargs["password"] = credentials["password"]
    else:
        kwargs["pkey"] = engine.ssh_key()
    try:
        try:
            client.connect(**kwargs)
        finally:  # first contact: the key is recorded even when the authentication fails
            if policy.seen and not policy.expected and on_host_key:
                on_host_key(policy.seen)
    except DeployError:
        client.close()
        raise
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


def _enroll(engine: Engine, client: paramiko.SSHClient, sftp: paramiko.SFTPClient, host: dict,
            state_dir: str) -> None:
    """The host makes its key and a request; the engine's CA signs it for the host's address."""
    q = shlex.quote
    request = _run(client, f"{engine.config['agent_command']} enroll --state-dir {q(state_dir)}")
    try:
        cert = engine.pki.sign_request(request.encode(), host["address"])
    except PkiError as e:
        raise DeployError(f"the host's certificate request cannot be signed: {e}") from None
    files = {name: str(path) for name, path in agent_files(state_dir).items()}
    for name, data in (("cert", cert), ("ca", engine.pki.ca_pem)):
        with sftp.file(files[name], "wb") as f:
            f.write(data)
        sftp.chmod(files[name], 0o644)


def _enroll_hypervisor(engine: Engine, client: paramiko.SSHClient, sftp: paramiko.SFTPClient, host: dict) -> None:
    """libvirt's key is made on the host under ``libvirt_pki_dir`` (its ``/etc/pki``); the engine's QEMU CA signs
    it, so that the host's libvirtd accepts live migrations from its peers and migrates to them over TLS."""
    q = shlex.quote
    pki_dir = engine.config["libvirt_pki_dir"]
    request = _run(client, f"{engine.config['agent_command']} enroll --libvirt-pki {q(pki_dir)}")
    try:
        cert = engine.pki.sign_request(request.encode(), host["address"], authority="qemu")
    except PkiError as e:
        raise DeployError(f"the hypervisor's certificate request cannot be signed: {e}") from None
    files = libvirt_files(pki_dir)
    for name, data in (("cert", cert), ("client_cert", cert), ("ca", engine.pki.qemu_ca_pem)):
        with sftp.file(str(files[name]), "wb") as f:
            f.write(data)
        sftp.chmod(str(files[name]), 0o644)


def deploy(engine: Engine, host: dict, credentials: dict, on_host_key: Callable[[dict], None] | None = None) -> None:
    """Deploy and start the agent; ``on_host_key`` records the SSH key a host presents at first contact."""
    cfg = engine.config
    state_dir = cfg["agent_state_dir"].format(address=host["address"])
    uri = cfg["agent_libvirt_uri"].format(state_dir=state_dir)
    client = _connect(engine, host, credentials, on_host_key)
    try:
        q = shlex.quote
        _run(client, f"mkdir -p {q(state_dir)} && chmod 700 {q(state_dir)}")
        sftp = client.open_sftp()
        try:
            _enroll(engine, client, sftp, host, state_dir)
            if not uri.startswith("test://") and cfg.get("libvirt_pki_dir"):
                _enroll_hypervisor(engine, client, sftp, host)
            with sftp.file(f"{state_dir}/secret", "w") as f:
                f.write(engine.broker.secret)
            sftp.chmod(f"{state_dir}/secret", 0o600)
            if uri.startswith("test://"):
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
    last: Exception | None = None
    while time.time() < deadline:
        try:
            engine.broker.capabilities(host, timeout=2)
            return
        except Exception as e:  # noqa: BLE001 - keep waiting for the agent to come up
            last = e
            time.sleep(0.3)
    raise DeployError(f"the agent deployed on {host['address']} did not answer within 30 s: {last} "
                      f"(see {state_dir}/agent.log on the host)")
