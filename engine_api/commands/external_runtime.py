"""Running external scheduling units for the engine: one warm, sandboxed worker pool per engine, the
environment a unit sees, and failures reported as ``EXTERNAL_SCHEDULER_PLUGIN_ERROR`` audit events.

What a unit sees: its method's arguments as the scheduler proxy passed them (host ids, the VM's id, and
``args_map``, the cluster's scheduling policy properties), and in its environment ``VDC_API_URL`` and
``VDC_API_TOKEN``: the engine's API and a short-lived bearer token of ``vdc-scheduler@internal``, a user that
holds only ReadOnlyAdmin on System and whose tokens and sessions the engine honours for reading only (any
other method is refused, see :mod:`engine_api.rest.read_only`). ``ovirtsdk4.Connection(url=..., token=...)``
takes them as they are.

Tokens are issued by a background thread, never by a placement: a placement may run inside a write
transaction, and issuing writes to the store. Audit events of failing units are written by the same thread,
so that they are kept when the placement's own transaction is rolled back.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, delete, select

from engine_api.auth import directory
from engine_api.auth.permits import ROLES_BY_NAME, SYSTEM_ID
from engine_api.auth.seed import grant
from engine_api.commands import engine_config
from engine_api.commands.external_stored import ExternalUnit, all_units, source
from engine_api.core.context import User
from engine_api.scheduler.external.pool import (
    Pool,
    Settings,
    UnitError,
    balance_result,
    filter_result,
    literal,
    score_result,
)
from engine_api.store.audit import record_event
from engine_api.store.schema import KINDS, tokens

if TYPE_CHECKING:
    from engine_api.engine import Engine

log = logging.getLogger(__name__)
USER_NAME = "vdc-scheduler"
USER_ID = "5c4ed01e-7a1b-4e55-9d0c-00000000000d"
PLUGIN_ERROR = 9000  # oVirt's EXTERNAL_SCHEDULER_PLUGIN_ERROR
REFRESH = 10.0  # seconds between two tokens: a token in use is always younger than the cache's RECHECK
TIMEOUT_KEY = "ExternalSchedulerResponseTimeout"


def settings(engine: Engine) -> Settings:
    c = engine.config
    api = None
    url = getattr(engine, "api_url", None)
    if url:
        parts = urlsplit(url)
        api = (parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80))
    sandbox = c.get("external_scheduler_sandbox")
    return Settings(size=int(c.get("external_scheduler_workers", 2)),
                    memory_bytes=int(c.get("external_scheduler_memory_mb", 1024)) << 20,
                    nproc=int(c.get("external_scheduler_nproc", 32)),
                    scratch_bytes=int(c.get("external_scheduler_scratch_mb", 16)) << 20,
                    uid_base=int(c.get("external_scheduler_uid_base", 1_900_000)),
                    sandbox=None if sandbox is None else bool(sandbox), api=api,
                    scratch_root=engine.data_dir / "scheduler-scratch")


class Runtime:
    def __init__(self, engine: Engine):
        self.engine = weakref.proxy(engine)
        self.settings = settings(engine)
        self.pool = Pool(self.settings, self.env)
        self._token: tuple[str, float] | None = None
        self._token_ready = threading.Event()
        self._events: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        url = getattr(engine, "api_url", None)
        self.url = url
        if url and self.settings.sandboxed() and self.settings.api:
            parts = urlsplit(url)
            self.url = f"{parts.scheme}://127.0.0.1:{self.settings.api[1]}{parts.path}"

    def start(self) -> None:
        """Workers and the token thread, without writing anything in the caller's thread."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="vdc-sched-runtime", daemon=True)
                self._thread.start()
        self.pool.start()

    def timeout(self, conn: Connection | None = None) -> float:
        try:
            if conn is not None:
                return float(engine_config.get(conn, TIMEOUT_KEY)) / 1000
            with self.engine.db.read() as c:
                return float(engine_config.get(c, TIMEOUT_KEY)) / 1000
        except Exception:  # an unreadable setting: oVirt's default
            return 120.0

    def env(self) -> dict[str, str]:
        self.start()
        self._token_ready.wait(5)
        out = {"LANG": "C.UTF-8", "HOME": "/tmp", "PATH": "/usr/bin:/bin"}
        if self.url:
            out["VDC_API_URL"] = self.url
        if self._token:
            out["VDC_API_TOKEN"] = self._token[0]
        return out

    def report(self, unit: ExternalUnit, why: str, cluster: str = "") -> None:
        where = f" for cluster {cluster}" if cluster else ""
        self._events.put(f"Running the external scheduler plugin {unit.name} ({unit.module}.py, "
                         f"{unit.type.replace('_', ' ')}){where} failed: {why}")
        self.start()

    # -- the background thread: tokens and events

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self._token is None or time.time() - self._token[1] >= REFRESH:
                    self._refresh()
            except Exception:  # a failed refresh is retried; the old token lives on meanwhile
                log.exception("could not issue a token for external scheduling units")
            try:
                text = self._events.get(timeout=1.0)
            except queue.Empty:
                continue
            try:
                with self.engine.db.write() as conn:
                    record_event(conn, None, PLUGIN_ERROR, text, "error")
            except Exception:
                log.exception("could not record: %s", text)

    def _refresh(self) -> None:
        ensure_user(self.engine)
        ttl = max(120.0, self.timeout() + 60)
        token, _ = self.engine.auth.issue(User(USER_ID, f"{USER_NAME}@internal", True), "sso", ttl)
        self._token = (token, time.time())
        self._token_ready.set()
        with self.engine.db.write() as conn:
            conn.execute(delete(tokens).where(tokens.c.user_id == USER_ID, tokens.c.expires <= time.time()))

    def close(self) -> None:
        self._stop.set()
        self.pool.close()


_RUNTIMES: weakref.WeakKeyDictionary[Any, Runtime] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def runtime(engine: Engine) -> Runtime:
    with _GUARD:
        rt = _RUNTIMES.get(engine)
        if rt is None:
            rt = _RUNTIMES[engine] = Runtime(engine)
    rt.start()
    return rt


def resume(engine: Engine) -> None:
    """At engine start: warm the pool when external units exist."""
    with engine.db.read() as conn:
        if all_units(conn):
            runtime(engine)


def close(engine: Engine) -> None:
    rt = _RUNTIMES.pop(engine, None)
    if rt is not None:
        rt.close()


def ensure_user(engine: Engine) -> None:
    """``vdc-scheduler@internal``: no password (it cannot log in), ReadOnlyAdmin on System."""
    users = KINDS["user"].table
    with engine.db.read() as conn:
        if conn.execute(select(users.c.id).where(users.c.id == USER_ID)).first() is not None:
            return
    with engine.db.write() as conn:
        if conn.execute(select(users.c.id).where(users.c.id == USER_ID)).first() is None:
            directory.add_user(conn, USER_NAME, None, attrs={"description": "External scheduling units (read only)"},
                               imported=True, ident=USER_ID)
            grant(conn, ROLES_BY_NAME["ReadOnlyAdmin"].id, "system", SYSTEM_ID, user_id=USER_ID)
    engine.auth.forget(USER_ID)


# ---------------------------------------------------------------- what placement and balancing call


class External:
    """The external units of one placement or balancing decision (see :class:`engine_api.scheduler.external
    .Units`)."""

    def __init__(self, engine: Engine, conn: Connection, cluster: str = ""):
        self.rt = runtime(engine)
        self.units = {u.id: u for u in all_units(conn)}
        self.limit = self.rt.timeout(conn)
        self.cluster = cluster
        self._conn = conn
        self._sources: dict[str, tuple[str, str]] = {}

    def name(self, unit_id: str) -> str | None:
        unit = self.units.get(unit_id)
        return unit.name if unit else None

    def _request(self, unit: ExternalUnit, args: list) -> dict:
        if unit.plugin not in self._sources:
            self._sources[unit.plugin] = source(self._conn, unit.plugin)
        module, text = self._sources[unit.plugin]
        return {"op": "call", "source": text, "module": module, "class": unit.name, "method": unit.method,
                "args": args}

    def _run(self, ids: list[str], args: list, read, quiet_is_none: bool = False) -> dict[str, Any]:
        """Each unit once, in parallel; unit id -> what ``read`` made of its literal. Failures are reported and
        left out, as the proxy skips failing units. ``quiet_is_none``: a clean run that printed nothing means
        None (a balancer with nothing to move)."""
        units = [self.units[i] for i in ids if i in self.units]
        replies = self.rt.pool.call_many([{**self._request(u, args), "timeout": self.limit} for u in units])
        out: dict[str, Any] = {}
        for unit, reply in zip(units, replies, strict=True):
            try:
                if quiet_is_none and not reply.stdout.strip() and reply.failure(self.limit) is None:
                    out[unit.id] = None
                    continue
                out[unit.id] = read(literal(reply, self.limit))
            except UnitError as e:
                self.rt.report(unit, str(e), self.cluster)
        return out

    def filter(self, ids: list[str], hosts: list[str], vm_id: str, props: dict[str, str]) -> dict[str, set[str]]:
        return self._run(ids, [hosts, vm_id, props], lambda v: filter_result(v, hosts))

    def score(self, ids: list[str], hosts: list[str], vm_id: str, props: dict[str, str]) -> dict[str, dict]:
        return self._run(ids, [hosts, vm_id, props], lambda v: score_result(v, hosts))

    def balance(self, unit_id: str, hosts: list[str], props: dict[str, str]) -> tuple[str, list[str]] | None:
        found = self._run([unit_id], [hosts, props], lambda v: balance_result(v, hosts), quiet_is_none=True)
        return found.get(unit_id)
