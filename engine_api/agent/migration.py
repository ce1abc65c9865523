"""Outgoing live migrations: libvirt's own peer-to-peer migration, watched and cancellable.

The source's libvirtd talks to the destination's libvirtd (``migration_uri``, e.g. ``qemu+tcp://dest/system``)
and QEMU streams memory straight to the destination's QEMU (``tcp://<destination address>``, given explicitly:
a host's name may resolve to loopback). The destination's copy stays paused until the last memory pass; the
source is paused for the switch-over and undefined only after libvirt completed the handover, so two copies
never run at once. A monitor thread reads the job's statistics for the progress the engine shows.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

import libvirt

from engine_api.protocol.client import AgentError

FLAGS = (libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER | libvirt.VIR_MIGRATE_PERSIST_DEST
         | libvirt.VIR_MIGRATE_UNDEFINE_SOURCE | libvirt.VIR_MIGRATE_ABORT_ON_ERROR | libvirt.VIR_MIGRATE_UNSAFE)
MONITOR_INTERVAL = 0.2  # seconds between two reads of the job's statistics


def progress_of(stats: dict) -> int | None:
    """vdsm's progress: 100 − 100·remaining/total, capped at 99 until libvirt reports the job done."""
    total = stats.get(libvirt.VIR_DOMAIN_JOB_DATA_TOTAL) or 0
    if stats.get("type", libvirt.VIR_DOMAIN_JOB_NONE) == libvirt.VIR_DOMAIN_JOB_NONE or total <= 0:
        return None
    remaining = stats.get(libvirt.VIR_DOMAIN_JOB_DATA_REMAINING) or 0
    return max(0, min(99, int(100 - 100 * remaining / total)))


def data_uri(migration_uri: str) -> str:
    """Where QEMU sends the memory: the destination hypervisor's own address, over TCP."""
    host = urlparse(migration_uri).hostname
    if not host:
        raise AgentError(f"the destination's migration URI {migration_uri!r} names no host", 400)
    return f"tcp://[{host}]" if ":" in host else f"tcp://{host}"


@dataclass
class Outgoing:
    uuid: str
    destination: str
    started: float = field(default_factory=time.monotonic)
    progress: int = 0
    canceled: bool = False
    done: threading.Event = field(default_factory=threading.Event)


class Migrations:
    """The migrations leaving this host, by VM id."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active: dict[str, Outgoing] = {}

    def progress(self, uuid: str) -> int | None:
        job = self.active.get(uuid)
        return job.progress if job else None

    def migrate(self, dom: libvirt.virDomain, migration_uri: str, bandwidth_mib: int = 0,
                max_time: float = 0.0, dest_xml: str | None = None) -> dict:
        """Migrate ``dom`` live to the hypervisor at ``migration_uri``; blocks until libvirt is done.

        ``bandwidth_mib`` caps the stream (MiB/s, 0: the hypervisor's default); a migration still running after
        ``max_time`` seconds is aborted (the VM stays here).
        """
        uuid = dom.UUIDString()
        if not dom.isActive():
            raise AgentError(f"VM {uuid} is not running on this host", 409)
        params: dict = {libvirt.VIR_MIGRATE_PARAM_URI: data_uri(migration_uri)}
        if bandwidth_mib > 0:
            params[libvirt.VIR_MIGRATE_PARAM_BANDWIDTH] = int(bandwidth_mib)
        if dest_xml:  # the destination's before_vm_migrate_destination hooks rewrote it
            params[libvirt.VIR_MIGRATE_PARAM_DEST_XML] = dest_xml
        job = Outgoing(uuid, migration_uri)
        with self.lock:
            if uuid in self.active:
                raise AgentError(f"VM {uuid} is already migrating", 409)
            self.active[uuid] = job
        watcher = threading.Thread(target=self._watch, args=(dom, job, max_time), daemon=True,
                                   name=f"migration-{uuid[:8]}")
        watcher.start()
        try:
            dom.migrateToURI3(migration_uri, params, FLAGS)
        except libvirt.libvirtError as e:
            if job.canceled or e.get_error_code() == libvirt.VIR_ERR_OPERATION_ABORTED:
                raise AgentError(f"migration of VM {uuid} was canceled", 409) from None
            raise AgentError(f"migration failed: {e.get_error_message()}") from None
        finally:
            job.done.set()
            watcher.join(timeout=5)
            with self.lock:
                self.active.pop(uuid, None)
        return {"id": uuid, "status": "migrated"}

    def _watch(self, dom: libvirt.virDomain, job: Outgoing, max_time: float) -> None:
        while not job.done.wait(MONITOR_INTERVAL):
            try:
                progress = progress_of(dom.jobStats())
            except libvirt.libvirtError:
                continue  # between two phases libvirt may have no job to show
            if progress is not None:
                job.progress = progress
            if max_time and time.monotonic() - job.started > max_time and not job.canceled:
                job.canceled = True
                try:
                    dom.abortJob()
                except libvirt.libvirtError:
                    pass

    def cancel(self, dom: libvirt.virDomain) -> dict:
        """Abort the VM's outgoing migration; libvirt resumes it here."""
        uuid = dom.UUIDString()
        job = self.active.get(uuid)
        if job is None:
            raise AgentError(f"VM {uuid} is not migrating from this host", 409)
        job.canceled = True
        try:
            dom.abortJob()
        except libvirt.libvirtError as e:
            raise AgentError(f"cannot cancel the migration of VM {uuid}: {e.get_error_message()}", 409) from None
        return {"id": uuid, "status": "up"}


def completed_figures(dom: libvirt.virDomain) -> dict:
    """The last migration's wall time and downtime (ms) as libvirt recorded them for the domain; the destination
    keeps them (the source no longer has the domain), and keeps them for other readers. Empty when it has none."""
    try:
        stats = dom.jobStats(libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED | libvirt.VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED)
    except libvirt.libvirtError:
        return {}
    figures = {"time_ms": stats.get(libvirt.VIR_DOMAIN_JOB_TIME_ELAPSED),
               "downtime_ms": stats.get(libvirt.VIR_DOMAIN_JOB_DOWNTIME)}
    return {k: v for k, v in figures.items() if v is not None}
