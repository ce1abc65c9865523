"""What several engines on one PostgreSQL database must see of each other; on SQLite (one engine) all of it is
plain process memory.

- **The node connection.** Each engine keeps one dedicated connection whose ``application_name`` is its node
  name (``vdc-engine:<pid>-<random>``). PostgreSQL lists it in ``pg_stat_activity`` for as long as the process
  lives: when the engine dies, even by ``kill -9``, the kernel closes its socket and the server ends the
  session at once (TCP keepalives cover a machine that vanishes). Liveness of an engine is therefore a
  question the database answers, with no heartbeat to tune. Session advisory locks taken on this connection
  (leadership, per-VM locks) are released the same way.
- **Busy VMs** (``engine.busy_vms``): a VM a job moves right now. Monitoring and the power loop, which run on
  one engine only, must leave alone a VM that a job of *any* engine moves, so each engine writes its holds
  to ``busy_vms`` under its node name; readers count only rows of live nodes, so a dead engine's holds
  vanish with it.
- **Host reports** (``engine.host_stats``): the monitoring engine writes each agent report to
  ``host_reports``; the other engines read them (placement, statistics) at most a second old.
- **Per-VM locks** (``engine.vm_lock``): a thread lock in the process, then a session advisory lock on the
  node connection so that two engines' jobs on one VM still run one after the other.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, delete, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from engine_api.store.db import Database
from engine_api.store.schema import busy_vms, host_reports

log = logging.getLogger(__name__)
PREFIX = "vdc-engine:"
LIVE_NODES = text("SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'vdc-engine:%'")


def lock_key(name: str) -> int:
    """A signed 64-bit advisory lock key for a name (stable across processes)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Node:
    """This engine's dedicated connection (PostgreSQL only); reconnected when it breaks."""

    def __init__(self, db: Database):
        self.db = db
        self.name = f"{PREFIX}{os.getpid()}-{secrets.token_hex(4)}"  # the pid tells operators which process
        self.shared = not db.sqlite
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._engine: Engine | None = None
        if self.shared:
            self._engine = create_engine(db.url, poolclass=NullPool, connect_args={
                "application_name": self.name, "keepalives": 1, "keepalives_idle": 5,
                "keepalives_interval": 2, "keepalives_count": 3})

    def run(self, statement, **params: Any) -> Any:
        """One statement on the node connection (autocommit); the first column of the first row. A broken
        connection raises, and the next call connects afresh (its advisory locks are gone with it)."""
        if self._engine is None:
            raise RuntimeError("the node connection exists only on a shared database (PostgreSQL)")
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                return self._conn.execute(statement, params).scalar()
            except Exception:
                self._drop()
                raise

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # already broken
                pass
            self._conn = None

    def close(self) -> None:
        with self._lock:
            self._drop()
        if self._engine is not None:
            self._engine.dispose()


def live_nodes(conn: Connection) -> set[str]:
    return {row[0] for row in conn.execute(LIVE_NODES)}


class BusyVms:
    """A set of VM ids: this engine's holds, plus (PostgreSQL) the holds of every live engine."""

    def __init__(self, db: Database, node: Node):
        self.db, self.node = db, node
        self._mine: set[str] = set()

    def add(self, vm_id: str) -> None:
        self._mine.add(vm_id)
        if self.node.shared:
            with self.db.write() as conn:
                conn.execute(pg_insert(busy_vms).values(vm_id=vm_id, engine=self.node.name, since=time.time())
                             .on_conflict_do_nothing())

    def discard(self, vm_id: str) -> None:
        self._mine.discard(vm_id)
        if self.node.shared:
            with self.db.write() as conn:
                conn.execute(delete(busy_vms).where(busy_vms.c.vm_id == vm_id, busy_vms.c.engine == self.node.name))

    def mine(self, vm_id: str) -> bool:
        """Whether this engine holds the VM (another engine's hold is not ours to release)."""
        return vm_id in self._mine

    def _all(self) -> set[str]:
        if not self.node.shared:
            return set(self._mine)
        with self.db.read() as conn:
            rows = conn.execute(select(busy_vms.c.vm_id, busy_vms.c.engine)).all()
            live = live_nodes(conn) if rows else set()
        return set(self._mine) | {vm for vm, engine in rows if engine in live}

    def __contains__(self, vm_id: object) -> bool:
        return vm_id in self._mine or (self.node.shared and vm_id in self._all())

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


class HostReports(MutableMapping):
    """host id -> the last agent report; written through to ``host_reports`` and read back (PostgreSQL) at
    most ``max_age`` seconds old, so an engine that does not monitor still places VMs on fresh figures."""

    def __init__(self, db: Database, node: Node, max_age: float = 1.0):
        self.db, self.node, self.max_age = db, node, max_age
        self._data: dict[str, dict] = {}
        self._read = 0.0
        self._guard = threading.Lock()

    def _fresh(self) -> dict[str, dict]:
        if self.node.shared and time.monotonic() - self._read > self.max_age:
            with self.db.read() as conn:
                rows = conn.execute(select(host_reports.c.host_id, host_reports.c.report)).all()
            with self._guard:
                self._data = {host: report for host, report in rows}
                self._read = time.monotonic()
        return self._data

    def __getitem__(self, host_id: str) -> dict:
        return self._fresh()[host_id]

    def __setitem__(self, host_id: str, report: dict) -> None:
        with self._guard:
            self._data = {**self._data, host_id: report}
        if self.node.shared:
            stmt = pg_insert(host_reports).values(host_id=host_id, report=report, updated=time.time())
            with self.db.write() as conn:
                conn.execute(stmt.on_conflict_do_update(index_elements=[host_reports.c.host_id],
                                                        set_={"report": stmt.excluded.report,
                                                              "updated": stmt.excluded.updated}))

    def __delitem__(self, host_id: str) -> None:
        with self._guard:
            self._data = {k: v for k, v in self._data.items() if k != host_id}
        if self.node.shared:
            with self.db.write() as conn:
                conn.execute(delete(host_reports).where(host_reports.c.host_id == host_id))

    def __iter__(self) -> Iterator[str]:
        return iter(dict(self._fresh()))

    def __len__(self) -> int:
        return len(self._fresh())


class VmLocks:
    """Per-VM locks: a thread lock here, and (PostgreSQL) an advisory lock other engines respect."""

    def __init__(self, node: Node, poll: float = 0.05):
        self.node, self.poll = node, poll
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, vm_id: str) -> Iterator[None]:
        with self._guard:
            local = self._locks.setdefault(vm_id, threading.Lock())
        with local:
            if not self.node.shared:
                yield
                return
            key = lock_key("vm:" + vm_id)
            # Polled with try: a blocking wait would hold the node connection, which everything here shares.
            while not self.node.run(text("SELECT pg_try_advisory_lock(:k)"), k=key):
                time.sleep(self.poll)
            try:
                yield
            finally:
                try:
                    self.node.run(text("SELECT pg_advisory_unlock(:k)"), k=key)
                except Exception:  # the connection broke: the server released the lock with it
                    log.warning("releasing the lock of VM %s: the node connection broke", vm_id)
