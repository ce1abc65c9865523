"""Lab hosts: N host agents on this machine, each with its own libvirt test-driver node and state."""

from __future__ import annotations

import ctypes
import ipaddress
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine_api.hosts.pki import EnginePki

NODE_XML = """<node>
  <cpu><mhz>2400</mhz><model>x86_64</model><nodes>1</nodes><sockets>2</sockets><cores>4</cores><threads>1</threads></cpu>
  <memory>{kib}</memory>
</node>
"""


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
                 memory_gib: int = 16, pki: EnginePki | None = None):
        self.root = Path(root)
        self.secret_file = secret_file
        self.pki = pki  # the engine's CA: it issues each lab agent's certificate
        start = ipaddress.ip_address(first_address)
        self.hosts = [LabHost(str(start + i), port, self.root / f"host{i + 1}") for i in range(count)]
        self.memory_gib = memory_gib

    def _command(self, h: LabHost) -> list[str]:
        return [sys.executable, "-m", "engine_api.agent", "serve", "--listen", f"{h.address}:{h.port}",
                "--libvirt-uri", f"test://{(h.state_dir / 'node.xml').resolve()}", "--state-dir",
                str(h.state_dir), "--secret-file", str(self.secret_file)]

    def start(self, index: int | None = None) -> None:
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

    def _enroll(self, h: LabHost) -> None:
        """Issue the agent a key and certificate from the engine's CA (a deployed host makes its own key)."""
        from engine_api.agent.tls import agent_files
        from engine_api.hosts.pki import names_in, write_pem

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
