"""The engine: its store, configuration, authenticator, host broker, jobs and monitoring."""

from __future__ import annotations

import json
import secrets
import sys
import threading
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import paramiko
from sqlalchemy import insert, select, update

from engine_api.auth.passwords import hash_password
from engine_api.auth.tokens import Authenticator
from engine_api.commands import builtin, external_runtime
from engine_api.hosts.broker import Broker
from engine_api.hosts.pki import EnginePki
from engine_api.lab.hosts import Lab
from engine_api.loops.balancer import Balancer
from engine_api.loops.jobs import JobRunner
from engine_api.loops.leader import Leadership
from engine_api.loops.monitor import Monitor
from engine_api.store.audit import record_event
from engine_api.store.db import Database
from engine_api.store.schema import credentials, settings
from engine_api.store.shared import BusyVms, HostReports, Node, VmLocks

DEFAULT_CONFIG: dict[str, Any] = {
    "monitor_interval": 3.0,  # seconds between two polls of a host's agent
    "non_responsive_timeout": 30.0,  # seconds without an answer before a host is non responsive
    "agent_stats_timeout": 5.0,  # seconds a poll waits for the agent's report, whatever monitor_interval is
    # (as oVirt's vdsTimeout is apart from VdsRefreshRate)
    "vds_attempts_to_reset_count": 2,  # oVirt's VDSAttemptsToResetCount: consecutive unanswered polls before
    # an up host is connecting (out of scheduling); one slow or missed report changes nothing
    "vm_graceful_shutdown_timeout": 30.0,  # oVirt's VmGracefulShutdownTimeout: then a shutdown powers off,
    # and a reboot the guest ignored resets it
    "migration_max_bandwidth": 0,  # MiB/s a live migration may use (0: the hypervisor's default)
    "migration_max_time_per_gib_mem": 64,  # vdsm's: a migration still running after this many seconds per GiB
    # of the VM's memory (at least a minute) is aborted
    "agent_command": f"{sys.executable} -m engine_api.agent",  # how a deployed host runs the agent
    "agent_state_dir": "/var/lib/vdc-agent",
    "agent_libvirt_uri": "qemu:///system",
    "libvirt_pki_dir": "/etc/pki",  # where deployment installs the hypervisor's TLS files (libvirt/, CA/)
    "pki_organization": "vdc",  # the O= of every certificate the engine's CA signs
    "vds_certificate_validity_in_days": 1827,  # oVirt's VdsCertificateValidityInDays
    "enable_vds_load_balancing": True,  # oVirt's EnableVdsLoadBalancing
    "vds_load_balancing_interval_in_minutes": 1,  # oVirt's VdsLoadBalancingIntervalInMinutes (fractions allowed)
}


class Engine:
    def __init__(self, data_dir: str | Path, db_url: str | None = None, config: dict | None = None):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)  # the database, the CA key and the agents' secret: the engine's user only
        self.config = self._load_config(config or {})
        self.db = Database(db_url or f"sqlite:///{self.data_dir / 'engine.db'}")
        self.db.migrate()
        self.auth = Authenticator(self.db)
        self.instance_id = ""
        self.node = Node(self.db)  # PostgreSQL: this engine's presence beside others on the same database
        pki_dir = Path(self.config.get("pki_dir") or self.data_dir / "pki")  # engines sharing a database share it
        self.pki = EnginePki(pki_dir, self.config["pki_organization"],
                             int(self.config["vds_certificate_validity_in_days"]))
        self.broker = Broker(self._setting("agent_secret", lambda: secrets.token_urlsafe(32)),
                             self.pki.client_context)
        self.jobs = JobRunner()
        self.busy_vms = BusyVms(self.db, self.node)  # VMs a job (of any engine) is moving right now
        self._vm_locks = VmLocks(self.node)
        self.host_stats = HostReports(self.db, self.node)  # the last report of each host's agent
        self.monitor: Monitor | None = None
        self.balancer: Balancer | None = None
        self.leadership: Leadership | None = None
        self._loops_guard = threading.Lock()
        self.lab: Lab | None = None
        self.api_url: str | None = None  # where this engine's API is served (external scheduling units call it)

    def vm_lock(self, vm_id: str) -> AbstractContextManager[None]:
        return self._vm_locks.hold(vm_id)

    def _load_config(self, overrides: dict) -> dict:
        path = self.data_dir / "config.json"
        if not path.exists():
            path.write_text(json.dumps(DEFAULT_CONFIG, indent=2) + "\n")
        config = dict(DEFAULT_CONFIG)
        config.update(json.loads(path.read_text()))
        config.update(overrides)
        return config

    def _setting(self, key: str, make) -> str:
        with self.db.write() as conn:
            row = conn.execute(select(settings.c.value).where(settings.c.key == key)).first()
            if row is not None:
                return row.value
            value = make()
            conn.execute(insert(settings).values(key=key, value=value))
            return value

    def ssh_key(self) -> paramiko.PKey:
        """The engine's SSH key, made on first use; hosts authorise its public half for deployment."""
        path = self.data_dir / "ssh" / "engine_id_rsa"
        if not path.exists():
            path.parent.mkdir(mode=0o700, exist_ok=True)
            paramiko.RSAKey.generate(3072).write_private_key_file(str(path))
        return paramiko.RSAKey.from_private_key_file(str(path))

    def public_key(self) -> str:
        key = self.ssh_key()
        return f"{key.get_name()} {key.get_base64()} vdc-engine"

    def initialise(self, admin_password: str | None) -> str | None:
        """Create what a new engine has (admin, Blank, Default); returns a generated admin password."""
        generated = None
        with self.db.write() as conn:
            row = conn.execute(select(settings.c.value).where(settings.c.key == "instance_id")).first()
            if row is None:
                if not admin_password:
                    admin_password = generated = secrets.token_urlsafe(12)
                self.instance_id = builtin.create_builtins(conn)
                conn.execute(insert(settings).values(key="instance_id", value=self.instance_id))
                conn.execute(insert(credentials).values(user_id=builtin.ADMIN_ID,
                                                        password_hash=hash_password(admin_password)))
            else:
                self.instance_id = row.value
                if admin_password:
                    conn.execute(update(credentials).where(credentials.c.user_id == builtin.ADMIN_ID)
                                 .values(password_hash=hash_password(admin_password)))
            record_event(conn, None, 9700, "vdc engine started.")
        external_runtime.resume(self)  # warm the workers of external scheduling units, if there are any
        return generated

    def start_lab(self, count: int, first_address: str, port: int, hypervisor: str = "test") -> None:
        secret_file = self.data_dir / "agent.secret"
        secret_file.write_text(self.broker.secret)
        secret_file.chmod(0o600)
        self.lab = Lab(self.data_dir / "lab", count, first_address, port, secret_file, pki=self.pki,
                       hypervisor=hypervisor)
        self.lab.start()

    def start_monitoring(self) -> None:
        """Run the background loops here, or (PostgreSQL) once this engine is the one chosen to run them."""
        self.leadership = Leadership(self.node, self._start_loops, self._stop_loops,
                                     float(self.config.get("leader_poll_interval", 1.0)))
        self.leadership.start()

    def _start_loops(self) -> None:
        with self._loops_guard:
            self.monitor = Monitor(self)
            self.monitor.start()
            self.balancer = Balancer(self)
            self.balancer.start()

    def _stop_loops(self) -> None:
        with self._loops_guard:
            if self.balancer:
                self.balancer.stop()
            if self.monitor:
                self.monitor.stop()
            self.monitor = self.balancer = None

    def close(self) -> None:
        if self.leadership:
            self.leadership.stop()
        if self.balancer:
            self.balancer.stop()
        external_runtime.close(self)
        if self.monitor:
            self.monitor.stop()
        self.jobs.close()
        if self.lab:
            self.lab.stop()
        self.node.close()
        self.db.close()
