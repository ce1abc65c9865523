"""Lab hosts: N host agents on this machine, each with its own hypervisor and state.

The hypervisor is libvirt's test driver (``test``: in-memory domains, a node of its own per host) or real QEMU
(``qemu``: a libvirtd per host in a namespace of its own, see ``labvirt``, VMs as qemu processes, KVM when
``/dev/kvm`` is usable). Disk volumes are real image files with either.
"""

from __future__ import annotations

import ctypes
import ipaddress
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from engine_api.agent import bridges
from engine_api.agent.leasekeeper import running_pid
from engine_api.hosts.pki import EnginePki, names_in, write_pem
from engine_api.hosts.testnode import NODE_XML
from engine_api.lab.libvirtd import Libvirtd, missing_programs
from engine_api.protocol.tls import agent_files, enroll_libvirt, install_libvirt

HYPERVISORS = ("test", "qemu")
LEASE_IO_TIMEOUT = 1.0  # sanlock's N scaled for the lab: renew every 2 s, kill after 8 s, a lease free after 14 s




def _die_with_parent() -> None:
    """Lab agents end with the engine, however it ends (Linux: PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
    except OSError:
        pass


@dataclass
class LabHost:
    address: str
    port: int
    state_dir: Path
    process: subprocess.Popen | None = None


class Lab:
    def __init__(self, root: Path, count: int, first_address: str, port: int, secret_file: Path,
                 memory_gib: int = 16, pki: EnginePki | None = None, hypervisor: str = "test"):
        if hypervisor not in HYPERVISORS:
            raise ValueError(f"unknown lab hypervisor '{hypervisor}' (one of {', '.join(HYPERVISORS)})")
        self.hypervisor = hypervisor
        self.root = Path(root)
        self.secret_file = secret_file
        self.pki = pki  # the engine's CA: it issues each lab agent's certificate
        start = ipaddress.ip_address(first_address)
        self.hosts = [LabHost(str(start + i), port, self.root / f"host{i + 1}") for i in range(count)]
        self.memory_gib = memory_gib
        self.daemons = [Libvirtd(h.state_dir / "libvirt", h.address, i) for i, h in enumerate(self.hosts)] \
            if hypervisor == "qemu" else []

    def _command(self, h: LabHost) -> list[str]:
        if self.daemons:
            daemon = self.daemons[self.hosts.index(h)]
            hypervisor = ["--libvirt-uri", daemon.uri, "--migration-uri", daemon.migration_uri, "--create-bridges",
                          "--display-address", h.address]
        else:
            hypervisor = ["--libvirt-uri", f"test://{(h.state_dir / 'node.xml').resolve()}"]
        return [sys.executable, "-m", "engine_api.agent", "serve", "--listen", f"{h.address}:{h.port}",
                *hypervisor, "--state-dir", str(h.state_dir), "--secret-file", str(self.secret_file),
                "--lease-io-timeout", str(LEASE_IO_TIMEOUT), "--lease-keeper-exit-with", str(os.getpid())]

    def _start_daemons(self, index: int | None) -> None:
        chosen = [d for i, d in enumerate(self.daemons) if index is None or i == index]
        if chosen and (missing := missing_programs()):
            raise RuntimeError(f"QEMU lab hosts need {', '.join(missing)}: run `make setup` (Debian packages "
                               "qemu-system-x86, qemu-utils, libvirt-daemon-driver-qemu, tini)")
        for daemon in chosen:
            self._enroll_hypervisor(daemon)
            daemon.start()
        for daemon in chosen:
            daemon.wait_ready()

    def start(self, index: int | None = None) -> None:
        self._start_daemons(index)
        for i, h in enumerate(self.hosts):
            if index is not None and i != index:
                continue
            h.state_dir.mkdir(parents=True, exist_ok=True)
            self._enroll(h)
            node = h.state_dir / "node.xml"
            if not node.exists():
                node.write_text(NODE_XML.format(kib=self.memory_gib * 1024 * 1024))
            log = open(h.state_dir / "agent.log", "ab")  # noqa: SIM115 - the child owns it
            h.process = subprocess.Popen(self._command(h), stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True, preexec_fn=_die_with_parent)
        self.wait_ready(index)

    def _enroll_hypervisor(self, daemon: Libvirtd) -> None:
        """As deployment does over SSH: the host makes libvirt's key, the engine's QEMU CA signs its request."""
        if self.pki is None:
            raise RuntimeError("lab hypervisors speak TLS only: give the Lab the engine's PKI")
        request = enroll_libvirt(daemon.pki_dir)
        install_libvirt(daemon.pki_dir, self.pki.sign_request(request, daemon.address, authority="qemu"),
                        self.pki.qemu_ca_pem)

    def _enroll(self, h: LabHost) -> None:
        """Issue the agent a key and certificate from the engine's CA (a deployed host makes its own key)."""
        if self.pki is None:
            raise RuntimeError("lab agents serve mutual TLS only: give the Lab the engine's PKI")
        files = agent_files(h.state_dir)
        if files["cert"].exists() and files["ca"].exists() and files["ca"].read_bytes() == self.pki.ca_pem \
                and h.address in names_in(files["cert"].read_bytes()):
            return
        files["key"].parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        key, cert = self.pki.issue([h.address])
        write_pem(files["key"], key, private=True)
        write_pem(files["cert"], cert)
        write_pem(files["ca"], self.pki.ca_pem)

    def wait_ready(self, index: int | None = None, timeout: float = 30.0) -> None:
        context = self.pki.client_context() if self.pki else None
        deadline = time.time() + timeout
        for i, h in enumerate(self.hosts):
            if index is not None and i != index:
                continue
            while True:
                try:
                    with urllib.request.urlopen(f"https://{h.address}:{h.port}/health", timeout=1, context=context):
                        break
                except OSError:
                    if time.time() > deadline or (h.process and h.process.poll() is not None):
                        raise RuntimeError(f"lab agent {h.address}:{h.port} did not start; see "
                                           f"{h.state_dir / 'agent.log'}") from None
                    time.sleep(0.1)

    def kill(self, index: int) -> None:
        """Kill an agent the hard way (as a crashed host would look)."""
        h = self.hosts[index]
        if h.process and h.process.poll() is None:
            h.process.kill()
            h.process.wait()

    def _kill_lease_keeper(self, index: int) -> None:
        if (pid := running_pid(self.hosts[index].state_dir)) is not None:
            os.kill(pid, signal.SIGKILL)

    def power_off(self, index: int) -> None:
        """Cut a host's power: its agent, its lease keeper and, on QEMU, its hypervisor with every VM it runs."""
        self.kill(index)
        self._kill_lease_keeper(index)
        if self.daemons:
            self.daemons[index].stop()

    def block_agent(self, index: int, blocked: bool = True) -> None:
        """As a firewall dropping the agent's port would: its calls time out, the host and its VMs go on."""
        self._switch(index, "lab-blocked", blocked)

    def cut_storage(self, index: int, cut: bool = True) -> None:
        """As losing the storage server would, for the host's lease keeper: its lease reads and writes fail."""
        self._switch(index, "lab-storage-cut", cut)

    def _switch(self, index: int, name: str, on: bool) -> None:
        flag = self.hosts[index].state_dir / name
        flag.touch() if on else flag.unlink(missing_ok=True)

    def stop(self) -> None:
        for h in self.hosts:
            if h.process and h.process.poll() is None:
                h.process.terminate()
        for h in self.hosts:
            if h.process:
                try:
                    h.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    h.process.kill()
        for i in range(len(self.hosts)):
            self._kill_lease_keeper(i)
        for daemon in self.daemons:
            daemon.stop()
        if self.daemons:
            bridges.remove_unused(sorted({b for h in self.hosts for b in bridges.made_in(h.state_dir)}))
