"""A throwaway PostgreSQL server for the test session.

Uses Debian's server binaries (``/usr/lib/postgresql/<version>/bin``), puts the
cluster in a fresh temporary directory, listens only on 127.0.0.1 on a free port
with trust authentication, and removes everything again at exit.  initdb refuses
to run as root, so when we are root the server runs as the ``postgres`` system user.

Each process (e.g. each pytest-xdist worker) that calls :meth:`PostgresServer.start`
gets its own server, data directory and port.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"
START_ATTEMPTS = 5

# Settings that make a disposable test server fast; durability does not matter here.
_SERVER_CONF = """
# added by tests/pg.py
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
logging_collector = off
"""


class PostgresError(RuntimeError):
    """The throwaway server could not be set up."""


def find_bindir() -> Path | None:
    """Directory holding initdb and pg_ctl, or None when the server is not installed.

    ``PG_BINDIR`` overrides; otherwise the newest Debian version wins, then ``PATH``.
    """
    candidates: list[Path] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))

    def version_key(path: Path) -> tuple[int, ...]:
        try:
            return tuple(int(part) for part in path.parent.name.split("."))
        except ValueError:
            return (-1,)

    candidates += sorted(DEBIAN_PG_ROOT.glob("*/bin"), key=version_key, reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for bindir in candidates:
        if all(os.access(bindir / tool, os.X_OK) for tool in ("initdb", "pg_ctl")):
            return bindir
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One disposable PostgreSQL cluster.  ``start()`` returns a SQLAlchemy URL."""

    def __init__(self, bindir: Path | None = None, dbname: str = "vdc_test") -> None:
        found = bindir or find_bindir()
        if found is None:
            raise PostgresError("PostgreSQL server binaries (initdb, pg_ctl) not found")
        self.bindir = found
        self.dbname = dbname
        self.port: int | None = None
        self.url: str | None = None
        self.tmpdir: Path | None = None
        self._as_user: str | None = None

    # -- paths -------------------------------------------------------------
    @property
    def datadir(self) -> Path:
        assert self.tmpdir is not None
        return self.tmpdir / "data"

    @property
    def logfile(self) -> Path:
        assert self.tmpdir is not None
        return self.tmpdir / "server.log"

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> str:
        if self.url:
            return self.url
        self._make_tmpdir()
        atexit.register(self.stop)
        try:
            self._run(
                [
                    str(self.bindir / "initdb"),
                    f"--pgdata={self.datadir}",
                    "--username=postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-locale",
                    "--no-sync",
                ],
                as_server_user=True,
            )
            with open(self.datadir / "postgresql.conf", "a") as conf:
                conf.write(_SERVER_CONF)
            self._start_on_free_port()
            self._run(
                [
                    str(self.bindir / "createdb"),
                    "--host=127.0.0.1",
                    f"--port={self.port}",
                    "--username=postgres",
                    self.dbname,
                ],
                as_server_user=False,
            )
        except BaseException:
            self.stop()
            raise
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{self.dbname}"
        return self.url

    def stop(self) -> None:
        """Stop the server and delete its directory.  Safe to call more than once."""
        self.url = None
        tmpdir = self.tmpdir
        if tmpdir is None:
            return
        try:
            if (self.datadir / "postmaster.pid").exists():
                self._run(
                    [
                        str(self.bindir / "pg_ctl"),
                        "stop",
                        f"--pgdata={self.datadir}",
                        "--mode=immediate",
                        "--wait",
                    ],
                    as_server_user=True,
                    check=False,
                )
        finally:
            self.tmpdir = None
            shutil.rmtree(tmpdir, ignore_errors=True)

    # -- helpers -----------------------------------------------------------
    def _make_tmpdir(self) -> None:
        base = tempfile.gettempdir()
        if os.geteuid() == 0:
            self._as_user = SERVER_USER
            try:
                server_user = pwd.getpwnam(SERVER_USER)
            except KeyError:
                raise PostgresError(
                    f"running as root but there is no {SERVER_USER!r} system user to run the server as"
                ) from None
            # The server user must be able to reach the directory.
            if not os.stat(base).st_mode & 0o001:
                base = "/tmp"
            self.tmpdir = Path(tempfile.mkdtemp(prefix="vdc-pg-", dir=base))
            os.chown(self.tmpdir, server_user.pw_uid, server_user.pw_gid)
        else:
            self.tmpdir = Path(tempfile.mkdtemp(prefix="vdc-pg-", dir=base))

    def _start_on_free_port(self) -> None:
        last_error = ""
        for _ in range(START_ATTEMPTS):
            self.port = free_port()
            result = self._run(
                [
                    str(self.bindir / "pg_ctl"),
                    "start",
                    f"--pgdata={self.datadir}",
                    f"--log={self.logfile}",
                    f"--options=-p {self.port}",
                    "--wait",
                    "--timeout=60",
                ],
                as_server_user=True,
                check=False,
            )
            if result.returncode == 0:
                return
            # Most likely another process grabbed the port in between; try another.
            last_error = result.stdout + self._log_tail()
        raise PostgresError(f"pg_ctl start failed {START_ATTEMPTS} times:\n{last_error}")

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _run(
        self, argv: list[str], *, as_server_user: bool, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        if as_server_user and self._as_user:
            argv = ["runuser", "-u", self._as_user, "--", *argv]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        result = subprocess.run(
            argv,
            cwd=self.tmpdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise PostgresError(
                f"command failed ({result.returncode}): {' '.join(argv)}\n{result.stdout}{self._log_tail()}"
            )
        return result
