"""Two engines on one PostgreSQL database: both serve the API, one runs the background loops, and when that one
is killed (SIGKILL) the other takes the loops over: a host that dies afterwards is still detected and its highly
available VM restarted, while API clients of the survivor never see an error."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import ovirtsdk4 as sdk
import ovirtsdk4.types as t
from sqlalchemy import create_engine, select, text

from engine_api.hosts.pki import EnginePki
from engine_api.lab.hosts import Lab
from engine_api.loops.leader import LEADER_KEY
from engine_api.store.schema import settings
from tests import live
from tests.hosts.helpers import AGENT_PORT, ensure_estate, wait_for

CONFIG = {"monitor_interval": 0.3, "non_responsive_timeout": 3.0, "leader_poll_interval": 0.5}


def _start_engine(root: Path, name: str, db_url: str, pki_dir: Path) -> tuple[subprocess.Popen, str]:
    """``python -m engine_api serve`` on the shared database and CA; returns the process and its API URL."""
    data_dir = root / name
    data_dir.mkdir()
    (data_dir / "config.json").write_text(json.dumps(CONFIG))
    port = live.free_port()
    log = open(root / f"{name}.log", "wb")  # noqa: SIM115 - the child owns it
    proc = subprocess.Popen([sys.executable, "-m", "engine_api", "serve", "--db", db_url, "--data-dir", str(data_dir),
                             "--pki-dir", str(pki_dir), "--listen", f"127.0.0.1:{port}"],
                            env={**os.environ, "VDC_ADMIN_PASSWORD": live.ADMIN_PASSWORD}, stdout=log,
                            stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while "vdc engine ready" not in (root / f"{name}.log").read_text():
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError(f"engine {name} did not start:\n{(root / f'{name}.log').read_text()[-3000:]}")
        time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port}/ovirt-engine/api"


def _leader_pid(db) -> int | None:
    """The pid in the node name of the engine holding the loops' advisory lock."""
    with db.connect() as conn:
        name = conn.execute(text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted "
            "AND l.objsubid = 1 AND ((l.classid::bigint << 32) | l.objid::bigint) = CAST(:k AS bigint)"),
            {"k": LEADER_KEY}).scalar()
    return int(name.split(":")[1].split("-")[0]) if name else None


def _connect(url: str) -> sdk.Connection:
    return sdk.Connection(url=url, username="admin@internal", password=live.ADMIN_PASSWORD, timeout=30)


class Client(threading.Thread):
    """An API client of the survivor: lists hosts and VMs and reads each VM, all the time; records any error."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.conn = _connect(url)
        self.stop_event = threading.Event()
        self.calls = 0
        self.errors: list[str] = []

    def run(self) -> None:
        system = self.conn.system_service()
        while not self.stop_event.is_set():
            try:
                system.hosts_service().list()
                for vm in system.vms_service().list():
                    system.vms_service().vm_service(vm.id).get()
                self.calls += 1
            except Exception as e:  # noqa: BLE001 - every failure is the finding
                self.errors.append(repr(e))
            time.sleep(0.05)


def test_survivor_takes_over_the_loops_when_the_leader_is_killed(tmp_path, postgres_url):
    db = create_engine(postgres_url)
    with db.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    pki_dir = tmp_path / "pki"
    first = second = client = lab = None
    try:
        first, first_url = _start_engine(tmp_path, "first", postgres_url, pki_dir)
        second, second_url = _start_engine(tmp_path, "second", postgres_url, pki_dir)
        assert _leader_pid(db) == first.pid  # started first, it runs the loops; the second only serves

        # The lab agents are this test's children, not an engine's: they outlive the first engine. Their
        # certificates come from the CA both engines share, their secret from the shared database.
        with db.connect() as conn:
            secret = conn.execute(select(settings.c.value).where(settings.c.key == "agent_secret")).scalar_one()
        secret_file = tmp_path / "agent.secret"
        secret_file.write_text(secret)
        secret_file.chmod(0o600)
        lab = Lab(tmp_path / "lab", 2, live.lab_address(), AGENT_PORT, secret_file,
                  pki=EnginePki(pki_dir, "vdc", 1827))
        lab.start()

        conn = _connect(second_url)
        estate = ensure_estate(None, conn, str(tmp_path / "nfs"), lab=lab)  # type: ignore[arg-type]
        ha = estate.new_vm("ha-vm", ha=True)
        estate.start_on(ha, 0)
        assert estate.vm(ha).get().host.id == estate.host_ids[0]

        client = Client(second_url)
        client.start()
        wait_for(lambda: client.calls, lambda n: n >= 3, what="the client's first calls")

        first.send_signal(signal.SIGKILL)
        first.wait()
        killed = time.time()
        wait_for(lambda: _leader_pid(db), lambda pid: pid == second.pid, timeout=10,
                 what="the second engine leading")
        took = time.time() - killed
        assert took < 5, f"takeover took {took:.1f}s"

        lab.kill(0)  # a host dies after the takeover: only the second engine's monitoring can see it
        estate.wait_host_status(0, t.HostStatus.NON_RESPONSIVE, timeout=15)
        # A lab host has neither SSH to soft fence it with nor power management: the second engine's HA loop
        # keeps the VM unknown until the user confirms the host was rebooted, then restarts it elsewhere.
        estate.wait_vm(ha, lambda v: v.status == t.VmStatus.UNKNOWN, timeout=15, what="the HA VM unknown")
        estate.host_service(0).fence(fence_type="manual")
        vm = estate.wait_vm(ha, lambda v: v.status == t.VmStatus.UP and v.host.id == estate.host_ids[1],
                            timeout=20, what="the HA VM up on the other host")
        assert vm.host.id == estate.host_ids[1]

        calls = client.calls
        wait_for(lambda: client.calls, lambda n: n > calls + 2, what="more calls after the restart")
        client.stop_event.set()
        client.join(timeout=30)
        assert client.errors == [], client.errors[:5]
    finally:
        if client is not None:
            client.stop_event.set()
            client.join(timeout=30)
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if lab is not None:
            lab.stop()
        db.dispose()
