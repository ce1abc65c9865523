"""Shared pytest fixtures for the whole test suite.

Add new fixtures here (or in a conftest.py next to the tests that need them).
Each pytest-xdist worker runs its own session, so session-scoped fixtures are
created once per worker.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import pg


def under_ci() -> bool:
    """True on CI, where a missing dependency must fail the run, never skip."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of a throwaway PostgreSQL database, one server per test session/worker."""
    bindir = pg.find_bindir()
    if bindir is None:
        reason = "PostgreSQL server binaries (initdb, pg_ctl) not found; `make setup` installs them"
        if under_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    server = pg.PostgresServer(bindir)
    try:
        url = server.start()
    except pg.PostgresError as exc:
        pytest.fail(f"could not start a throwaway PostgreSQL server: {exc}", pytrace=False)
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def live_engine(tmp_path_factory):
    """An engine on SQLite served over HTTP on a free loopback port (one per test module)."""
    from tests import live

    server = live.start(tmp_path_factory.mktemp("engine"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def live_engine_pg(tmp_path_factory, postgres_url):
    """The same engine on the throwaway PostgreSQL database (tables are dropped first)."""
    from sqlalchemy import create_engine, text

    from tests import live

    eng = create_engine(postgres_url)
    with eng.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    eng.dispose()
    server = live.start(tmp_path_factory.mktemp("engine-pg"), postgres_url)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def lab_engine(tmp_path_factory):
    """An engine with two lab hosts (agents on a loopback range of their own) and fast monitoring."""
    from tests import live

    server = live.start(tmp_path_factory.mktemp("lab"), lab_hosts=2,
                        config={"monitor_interval": 0.5, "non_responsive_timeout": 3.0})
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------- a real OpenSSH server for host deployment

SSHD = "/usr/sbin/sshd"
SSH_TEST_USER = "vdcdeploy"  # a dedicated, unprivileged account; never root
SSH_TEST_PASSWORD = "vdc-deploy-test-password"
SSH_ADDRESSES = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")  # one per host a test adds


@dataclass
class SshServer:
    """An OpenSSH server on loopback that lets ``user`` in with ``password`` or an authorised key."""

    addresses: tuple[str, ...]
    port: int
    user: str
    password: str
    uid: int
    workdir: Path  # the server's own files (config, host key, authorised keys, log)
    agents_dir: Path  # writable by ``user``: state directories of the agents deployed through it
    agent_command: str | None  # how ``user`` runs the agent, when the engine's default cannot work

    def authorize(self, public_key: str | None) -> None:
        """Replace the user's authorised keys (``None`` authorises nothing)."""
        (self.workdir / f"authorized_keys_{self.user}").write_text(f"{public_key}\n" if public_key else "")

    def log(self) -> str:
        return (self.workdir / "sshd.log").read_text(errors="replace")


def _missing(reason: str) -> None:
    if under_ci():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _ensure_test_user() -> int:
    """Create the test account when missing and (re)set its known password; returns its uid."""
    import pwd

    for attempt in range(20):  # xdist workers may race for useradd / the shadow file lock
        try:
            uid = pwd.getpwnam(SSH_TEST_USER).pw_uid
        except KeyError:
            subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", "--comment",
                            "vdc SSH deployment tests", SSH_TEST_USER], capture_output=True)
            continue
        done = subprocess.run(["chpasswd"], input=f"{SSH_TEST_USER}:{SSH_TEST_PASSWORD}\n", text=True,
                              capture_output=True)
        if done.returncode == 0:
            return uid
        time.sleep(0.1 * (attempt + 1))
    pytest.fail(f"could not create or set the password of the test user {SSH_TEST_USER}", pytrace=False)


def _agent_command_for(user: str) -> str | None:
    """The engine runs ``<this python> -m engine_api.agent`` on the host; if ``user`` cannot (this python lives
    in a directory only root may enter, as pyenv's under /root does), use a system python of the same version
    with this virtualenv's packages and this project on its path."""
    import sysconfig

    def works(argv: list[str]) -> bool:
        probe = "import engine_api.agent.cli, engine_api.agent.driver"
        return subprocess.run(["runuser", "-u", user, "--", *argv, "-c", probe], capture_output=True,
                              cwd="/").returncode == 0

    if works([sys.executable]):
        return None
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    python = shutil.which(version, path="/usr/local/bin:/usr/bin:/bin")
    root = Path(__file__).resolve().parent.parent
    paths = ":".join(dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], str(root)]))
    if python and works(["env", f"PYTHONPATH={paths}", python]):
        return f"env PYTHONPATH={paths} {python} -m engine_api.agent"
    pytest.fail(f"user {user} can run neither {sys.executable} nor a system {version} with the engine's "
                "packages, so no agent can be deployed for it", pytrace=False)


@pytest.fixture(scope="session")
def sshd(tmp_path_factory) -> Iterator[SshServer]:
    """A real OpenSSH server (``sshd -D -e``) on loopback, a free port and ``SSH_ADDRESSES``, with its own host
    key and configuration; it lets in only the dedicated test user, by password or by an authorised key."""
    import pwd

    from tests.live import free_port

    if not os.access(SSHD, os.X_OK):
        _missing(f"{SSHD} not found; install Debian's openssh-server")
    if os.geteuid() != 0:
        _missing("the sshd fixture must run as root (to create the test user and let sshd switch to it)")
    uid = _ensure_test_user()
    gid = pwd.getpwnam(SSH_TEST_USER).pw_gid
    workdir = Path(tempfile.mkdtemp(prefix="vdc-sshd-"))  # not under pytest's root-only temporary tree
    workdir.chmod(0o711)
    agents = workdir / "agents"
    agents.mkdir(mode=0o700)
    os.chown(agents, uid, gid)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    key = workdir / "ssh_host_ed25519_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    port = free_port()
    listen = "\n".join(f"ListenAddress {a}" for a in SSH_ADDRESSES)
    config = workdir / "sshd_config"
    config.write_text(f"""Port {port}
{listen}
HostKey {key}
PidFile {workdir / "sshd.pid"}
AuthorizedKeysFile {workdir}/authorized_keys_%u
AllowUsers {SSH_TEST_USER}
PermitRootLogin no
PasswordAuthentication yes
PubkeyAuthentication yes
KbdInteractiveAuthentication no
PermitEmptyPasswords no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
LogLevel VERBOSE
""")
    server = SshServer(SSH_ADDRESSES, port, SSH_TEST_USER, SSH_TEST_PASSWORD, uid, workdir, agents,
                       _agent_command_for(SSH_TEST_USER))
    server.authorize(None)
    check = subprocess.run([SSHD, "-t", "-f", str(config)], capture_output=True, text=True)
    if check.returncode != 0:
        pytest.fail(f"sshd rejects its test configuration: {check.stderr.strip()}", pytrace=False)
    with open(workdir / "sshd.log", "wb") as log:
        process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        for address in SSH_ADDRESSES:
            while True:
                try:
                    with socket.create_connection((address, port), timeout=1) as s:
                        if s.recv(64).startswith(b"SSH-"):
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"sshd did not start on {address}:{port}: {server.log()}", pytrace=False)
                time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(workdir, ignore_errors=True)
