"""A real libvirtd (QEMU driver) per lab host, each in a private mount and PID namespace of its own.

Every lab host gets its own libvirt directories (configuration, sockets, state, cache, logs) bound over the
standard paths inside the namespace, its own host UUID, its own TLS listener on the host's address (for
peer-to-peer live migration, with a certificate from the engine's QEMU CA at libvirt's standard paths, as a
deployed host has it) and its own range of migration ports. ``tini`` is the namespace's init, so the
qemu processes the daemon leaves behind are reaped at once; killing the ``unshare`` process tears the whole
host down, every qemu of it included.

The first start of a libvirtd probes QEMU's capabilities (seconds); a machine-wide cache of a warmed host
seeds each new host, and libvirt itself discards a cached probe whose QEMU binary changed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from engine_api.protocol.tls import libvirt_files

DAEMON_DIRS = {"etc": "/etc/libvirt", "run": "/run/libvirt", "lib": "/var/lib/libvirt",
               "cache": "/var/cache/libvirt", "log": "/var/log/libvirt",
               "pki/libvirt": "/etc/pki/libvirt", "pki/CA": "/etc/pki/CA"}
MIGRATION_PORTS = 64  # per host
MIGRATION_PORT_BASE = 49152
DISPLAY_PORTS = 64  # per host, for VNC and SPICE consoles
DISPLAY_PORT_BASE = 5900
SOCKET_PATH_MAX = 107  # sun_path
PACKAGES = ("libvirtd", "tini", "unshare", "qemu-img")


class LabVirtError(RuntimeError):
    pass


def capability_cache() -> Path:
    """Where warmed QEMU capability probes are kept between lab runs (per user, outside any data dir)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vdc" / "libvirt-qemu-capabilities"


def missing_programs() -> list[str]:
    return [p for p in PACKAGES if shutil.which(p, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None]


def kvm_usable() -> bool:
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


def _die_with_parent() -> None:
    """The namespace dies with whoever started it (the engine), however that ends."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    except OSError:
        pass


def _quote(path: Path | str) -> str:
    import shlex

    return shlex.quote(str(path))


@dataclass
class Libvirtd:
    """One lab host's hypervisor daemon."""

    root: Path  # the host's private libvirt tree
    address: str  # where it listens for peer-to-peer migration
    index: int  # the host's position in its lab: chooses its migration ports
    socket_mode: str | None = None  # unix_sock_rw_perms, e.g. "0777" for an agent that is not root
    host_uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    process: subprocess.Popen | None = None

    @property
    def socket(self) -> Path:
        return self.root / "run" / "libvirt-sock"

    @property
    def uri(self) -> str:
        """How this machine's processes (the host's agent) reach the daemon."""
        return f"qemu:///system?socket={self.socket}"

    @property
    def migration_uri(self) -> str:
        """How another host's daemon reaches this one for a peer-to-peer migration."""
        return f"qemu+tls://{self.address}/system"

    @property
    def ports(self) -> tuple[int, int]:
        first = MIGRATION_PORT_BASE + (self.index % 100) * MIGRATION_PORTS
        return first, first + MIGRATION_PORTS - 1

    @property
    def display_ports(self) -> tuple[int, int]:
        """Each host's own: two daemons allocating from one range would race for the same port."""
        first = DISPLAY_PORT_BASE + (self.index % 100) * DISPLAY_PORTS
        return first, first + DISPLAY_PORTS - 1

    def _configure(self) -> None:
        for name in DAEMON_DIRS:
            (self.root / name).mkdir(mode=0o700 if name.startswith("pki") else 0o777, parents=True, exist_ok=True)
        if len(str(self.socket)) > SOCKET_PATH_MAX:
            raise LabVirtError(f"the lab host directory {self.root} is too deep for a UNIX socket path "
                               f"({len(str(self.socket))} > {SOCKET_PATH_MAX} characters); use a shorter data dir")
        uuid_file = self.root / "host-uuid"
        if uuid_file.exists():
            self.host_uuid = uuid_file.read_text().strip()
        else:
            uuid_file.write_text(self.host_uuid)
        (self.root / "etc" / "libvirtd.conf").write_text(
            'auth_unix_rw = "none"\nauth_unix_ro = "none"\nlisten_tls = 1\nlisten_tcp = 0\nauth_tls = "none"\n'
            f'listen_addr = "{self.address}"\nhost_uuid = "{self.host_uuid}"\n'
            'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"\n'
            + (f'unix_sock_rw_perms = "{self.socket_mode}"\n' if self.socket_mode else ''))
        self._check_tls()
        low, high = self.ports
        display_low, display_high = self.display_ports
        (self.root / "etc" / "qemu.conf").write_text(
            'user = "root"\ngroup = "root"\ndynamic_ownership = 0\nsecurity_driver = "none"\n'
            'cgroup_controllers = [ ]\nnamespaces = [ ]\nstdio_handler = "file"\n'
            f'migration_address = "{self.address}"\nmigration_host = "{self.address}"\n'
            f"migration_port_min = {low}\nmigration_port_max = {high}\n"
            f"remote_display_port_min = {display_low}\nremote_display_port_max = {display_high}\n")
        # libvirtd looks the qemu user up before it reads qemu.conf: give the namespace an account database
        # that has it, without touching this machine's.
        for name, line in (("passwd", "libvirt-qemu:x:64055:64055:libvirt qemu:/var/lib/libvirt:/usr/sbin/nologin"),
                           ("group", "libvirt-qemu:x:64055:")):
            text = Path(f"/etc/{name}").read_text()
            if "\nlibvirt-qemu:" not in "\n" + text:
                text = text.rstrip("\n") + "\n" + line + "\n"
            (self.root / name).write_text(text)
        self._seed_cache()

    @property
    def pki_dir(self) -> Path:
        """The host's ``/etc/pki`` (its ``libvirt`` and ``CA`` folders are bound there inside the namespace)."""
        return self.root / "pki"

    def _check_tls(self) -> None:
        if missing := [str(p) for p in libvirt_files(self.pki_dir).values() if not p.exists()]:
            raise LabVirtError(f"the lab libvirtd for {self.address} is not enrolled: {', '.join(missing)} missing")

    def _seed_cache(self) -> None:
        cache = capability_cache()
        target = self.root / "cache" / "qemu" / "capabilities"
        if cache.is_dir() and not any(target.glob("*.xml")):
            target.mkdir(parents=True, exist_ok=True)
            for f in cache.glob("*.xml"):
                shutil.copy2(f, target / f.name)

    def _keep_cache(self) -> None:
        warmed = sorted((self.root / "cache" / "qemu" / "capabilities").glob("*.xml"))
        cache = capability_cache()
        if warmed and not any(cache.glob("*.xml")):
            cache.mkdir(parents=True, exist_ok=True)
            for f in warmed:
                shutil.copy2(f, cache / f.name)

    def start(self) -> None:
        self._configure()
        self.socket.unlink(missing_ok=True)
        for mount_point in DAEMON_DIRS.values():  # empty mount points on this machine; the binds stay private
            Path(mount_point).mkdir(parents=True, exist_ok=True)
        binds = [f"mount --bind {_quote(self.root / 'passwd')} /etc/passwd",
                 f"mount --bind {_quote(self.root / 'group')} /etc/group"]
        binds += [f"mount --bind {_quote(self.root / name)} {target}" for name, target in DAEMON_DIRS.items()]
        script = " && ".join(binds) + " && exec tini -s -- libvirtd --listen -p /run/libvirt/libvirtd.pid"
        log = open(self.root / "namespace.log", "ab")  # noqa: SIM115 - the child owns it
        self.process = subprocess.Popen(
            ["unshare", "--mount", "--pid", "--fork", "--mount-proc", "--kill-child", "sh", "-c", script],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=_die_with_parent)

    def wait_ready(self, timeout: float = 60.0) -> None:
        import libvirt

        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise LabVirtError(f"the lab libvirtd for {self.address} exited with {self.process.returncode}: "
                                   f"{self.log_tail()}")
            if self.socket.exists():
                try:
                    conn = libvirt.open(self.uri)
                except libvirt.libvirtError:
                    pass
                else:
                    conn.close()
                    self._keep_cache()
                    return
            if time.monotonic() > deadline:
                raise LabVirtError(f"the lab libvirtd for {self.address} did not answer within {timeout:.0f} s: "
                                   f"{self.log_tail()}")
            time.sleep(0.05)

    def log_tail(self, lines: int = 5) -> str:
        text = ""
        for name in ("namespace.log", "log/libvirtd.log"):
            path = self.root / name
            if path.exists():
                text += path.read_text(errors="replace")
        return " | ".join(text.strip().splitlines()[-lines:]) or "(no log)"

    def stop(self) -> None:
        """Power the host off: the namespace's init dies, and every process in it with it."""
        self._keep_cache()
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.socket.unlink(missing_ok=True)
