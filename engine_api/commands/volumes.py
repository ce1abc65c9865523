"""Disk images on hosts: a new disk on an active domain becomes a volume there (``locked`` → ``ok``,
or ``illegal`` when the host refuses); a removed disk's volume is deleted. A disk on a domain no host
serves yet stays an ``ok`` record whose volume is made when a VM using it first starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select

from engine_api.commands import jobs
from engine_api.commands.runner import run
from engine_api.commands.storage_pools import pool_spec
from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.core.errors import Conflict
from engine_api.protocol.client import AgentError
from engine_api.store.schema import col


def _up_in_data_center() -> Any:
    clusters = select(col("cluster", "id")).where(col("cluster", "data_center_id") == bindparam("dc"))
    return col("host", "cluster_id").in_(clusters) & (col("host", "doc")["status"].as_string() == "up")


def _serving_host(tx: Tx, sd_id: str) -> dict | None:
    """An up host of a data center where the domain is active."""
    attached = tx.find_by("attached_storage_domain", storage_domain_id=sd_id)
    for a in attached:
        if a.get("status") != "active":
            continue
        # The first up host of the data center, found by the database: decoding its clusters and every host for
        # each new disk made a large estate's disks cost hosts x disks.
        hosts = tx.find_named("host", "up in a data center", _up_in_data_center, limit=1, dc=a["data_center"]["id"])
        if hosts:
            return hosts[0]
    return None


def _lock(tx: Tx, disk_id: str) -> tuple[dict, dict, dict] | None:
    disk = tx.must("disk", disk_id)
    sd_id = (disk.get("storage_domain") or {}).get("id")
    host = _serving_host(tx, sd_id) if sd_id else None
    if sd_id is None or host is None or disk.get("status") != "ok":
        return None
    disk["status"] = "locked"
    tx.update("disk", disk)
    return disk, host, tx.must("storage_domain", sd_id)


def _settle(tx: Tx, disk_id: str, status: str, error: str = "") -> None:
    disk = tx.get("disk", disk_id)
    if disk is None:
        return
    disk["status"] = status
    tx.update("disk", disk)
    if status == "illegal":
        tx.event(2022, f"Creating the volume of disk {disk['name']} failed: {error}", "error",
                 storage_domain=disk["storage_domain"]["id"])


def _create(ctx: Context, disk: dict, host: dict, sd: dict) -> None:
    try:
        ctx.engine.broker.connect_storage(host, pool_spec(sd))
        ctx.engine.broker.create_volume(host, sd["id"], {
            "id": disk["id"], "size": disk["provisioned_size"], "format": disk.get("format", "cow"),
            "sparse": disk.get("sparse", True)})
    except AgentError as e:
        run(ctx, "create_volume", _settle, disk["id"], "illegal", f"Host {host['name']}: {e}")
        return
    run(ctx, "create_volume", _settle, disk["id"], "ok")


@dataclass(frozen=True)
class Planned:
    """A volume to make: the locked disk, the host serving its domain, the domain, and the job begun for it."""
    disk: dict
    host: dict
    sd: dict
    job_id: str


def plan(tx: Tx, disk_id: str) -> Planned | None:
    """In the transaction that added a disk: lock it and begin the job that makes its volume on a host serving
    its domain (None when no host serves it yet: the volume is made when a VM using it first starts)."""
    locked = _lock(tx, disk_id)
    if locked is None:
        return None
    disk, host, sd = locked
    return Planned(disk, host, sd, jobs.begin_in(tx, _describe(disk)))


def start(ctx: Context, planned: Planned | None) -> None:
    """Once the transaction that planned the volume committed: its job runs."""
    if planned is not None:
        ctx.engine.jobs.start(ctx, planned.job_id, _describe(planned.disk), _create, ctx, planned.disk,
                              planned.host, planned.sd, storage_task=True)


def _describe(disk: dict) -> str:
    return f"Creating the volume of disk {disk['name']}"


def materialize(ctx: Context, disk_id: str) -> None:
    """A disk added earlier: make its volume on a host serving the domain, if one does."""
    start(ctx, run(ctx, "create_volume", plan, disk_id))


def discard(ctx: Context, disk: dict) -> None:
    """After a disk was removed: delete its volume where it may exist (best effort)."""
    sd_id = (disk.get("storage_domain") or {}).get("id")
    if not sd_id:
        return
    with ctx.engine.db.read() as conn:
        host = _serving_host(Tx(conn, ctx), sd_id)
    if host is not None:
        try:
            for vol in disk.get("_chain") or [disk.get("_volume") or disk["id"]]:  # its own volumes, not a base
                ctx.engine.broker.remove_volume(host, sd_id, vol)
        except AgentError:
            pass


# ---------------------------------------------------------------- growth

EXTENDABLE_WITH = {"down", "up", "paused"}  # the states of a VM whose disk may grow (live while it runs)


def plan_extend(tx: Tx, disk: dict, old_size: int) -> None:
    """In the transaction that grows ``disk``: refuse while a VM using it is in the middle of something, and
    lock it for the job that grows its volume on the host running that VM (live), or on a host serving its
    domain. A disk no host serves has no volume yet: it is made at the new size when first needed."""
    alias = disk.get("alias") or disk["name"]
    if disk.get("status") != "ok":
        raise Conflict(f"Cannot extend disk {alias}: it is {disk.get('status')}.")
    running = []
    for att in tx.find_by("disk_attachment", disk_id=disk["id"]):
        vm = tx.get("vm", att["vm"]["id"]) if att.get("vm") else None
        if vm is None or vm.get("status") == "down":
            continue
        if vm.get("status") not in EXTENDABLE_WITH:
            raise Conflict(f"Cannot extend disk {alias} while VM {vm['name']} is "
                           f"{vm.get('status', '').replace('_', ' ')}.")
        if not vm.get("host"):
            raise Conflict(f"Cannot extend disk {alias}: VM {vm['name']} is {vm['status']} on no known host.")
        running.append(vm)
    if len(running) > 1:
        raise Conflict(f"Cannot extend disk {alias}: VMs {', '.join(v['name'] for v in running)} all run it.")
    sd_id = (disk.get("storage_domain") or {}).get("id")
    host = tx.must("host", running[0]["host"]["id"]) if running else _serving_host(tx, sd_id) if sd_id else None
    if host is None:
        return
    disk["status"] = "locked"
    disk["_extend"] = {"from": old_size, "host": host["id"], "vm": running[0]["id"] if running else None}


def _extended(tx: Tx, disk_id: str, info: dict) -> None:
    disk = tx.get("disk", disk_id)
    if disk is None:
        return
    plan = disk.pop("_extend", {})
    disk["status"] = "ok"
    if info.get("actual_size") is not None and disk.get("sparse", True) and len(disk.get("_chain") or [1]) == 1:
        disk["actual_size"] = disk["total_size"] = info["actual_size"]  # with snapshots it is only the top's
    tx.update("disk", disk)
    how = " while its VM runs" if plan.get("vm") and info.get("live") else ""
    tx.event(371, f"Size of the disk {disk['name']} was successfully updated to {disk['provisioned_size']} "
                  f"bytes{how}.", storage_domain=disk["storage_domain"]["id"], vm=plan.get("vm"))


def _extend_failed(tx: Tx, disk_id: str, error: str) -> None:
    disk = tx.get("disk", disk_id)
    if disk is None:
        return
    plan = disk.pop("_extend", {})
    wanted = disk["provisioned_size"]
    disk.update(status="ok", provisioned_size=plan.get("from", wanted))
    if not disk.get("sparse", True):
        disk["actual_size"] = disk["total_size"] = disk["provisioned_size"]
    tx.update("disk", disk)
    tx.event(370, f"Failed to update the size of the disk {disk['name']} to {wanted} bytes: {error}; it keeps "
                  f"its size of {disk['provisioned_size']} bytes.", "error",
             storage_domain=disk["storage_domain"]["id"], vm=plan.get("vm"))


def _extend_job(ctx: Context, disk_id: str) -> None:
    with ctx.engine.db.read() as conn:
        tx = Tx(conn, ctx)
        disk = tx.must("disk", disk_id)
        plan = disk.get("_extend") or {}
        host = tx.get("host", plan.get("host", ""))
        sd = tx.must("storage_domain", disk["storage_domain"]["id"])
    if host is None:
        run(ctx, "extend_disk", _extend_failed, disk_id, "its host is gone")
        return
    try:
        ctx.engine.broker.connect_storage(host, pool_spec(sd))
        # the active (top) volume grows, as oVirt extends the leaf: a snapshot's frozen volumes keep their size
        top = disk.get("_volume") or disk_id
        info = ctx.engine.broker.resize_volume(host, sd["id"], top, int(disk["provisioned_size"]))
    except AgentError as e:
        if e.status == 404 and "no volume" in str(e):  # never made: it will be, at the new size
            run(ctx, "extend_disk", _extended, disk_id, {})
            return
        run(ctx, "extend_disk", _extend_failed, disk_id, f"Host {host['name']}: {e}")
        return
    run(ctx, "extend_disk", _extended, disk_id, info)


def extend(ctx: Context, disk_id: str) -> None:
    """After a disk update: grow its volume if the update locked it for that (see ``plan_extend``)."""
    with ctx.engine.db.read() as conn:
        disk = Tx(conn, ctx).get("disk", disk_id)
    if disk is not None and disk.get("status") == "locked" and disk.get("_extend"):
        ctx.engine.jobs.submit(ctx, f"Extending disk {disk['name']}", _extend_job, ctx, disk_id)
