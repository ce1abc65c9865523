"""Disk images on hosts: a new disk on an active domain becomes a volume there (``locked`` → ``ok``,
or ``illegal`` when the host refuses); a removed disk's volume is deleted. A disk on a domain no host
serves yet stays an ``ok`` record whose volume is made when a VM using it first starts."""

from __future__ import annotations

from engine_api.agent.client import AgentError
from engine_api.commands.context import Context
from engine_api.commands.runner import run
from engine_api.commands.storage_pools import pool_spec
from engine_api.commands.tx import Tx
from engine_api.store.schema import col


def _serving_host(tx: Tx, sd_id: str) -> dict | None:
    """An up host of a data center where the domain is active."""
    attached = tx.find("attached_storage_domain", col("attached_storage_domain", "storage_domain_id") == sd_id)
    for a in attached:
        if a.get("status") != "active":
            continue
        clusters = [c["id"] for c in tx.find("cluster", col("cluster", "data_center_id") == a["data_center"]["id"])]
        for host in tx.find("host", col("host", "cluster_id").in_(clusters)) if clusters else []:
            if host.get("status") == "up":
                return host
    return None


def _lock(tx: Tx, disk_id: str) -> tuple[dict, dict, dict] | None:
    disk = tx.must("disk", disk_id)
    sd_id = (disk.get("storage_domain") or {}).get("id")
    host = _serving_host(tx, sd_id) if sd_id else None
    if host is None or disk.get("status") != "ok":
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


def materialize(ctx: Context, disk_id: str) -> None:
    """After a disk was added: make its volume on a host serving the domain, if one does."""
    locked = run(ctx, "create_volume", _lock, disk_id)
    if locked:
        disk, host, sd = locked
        ctx.engine.jobs.submit(ctx, f"Creating the volume of disk {disk['name']}", _create, ctx, disk, host, sd)


def discard(ctx: Context, disk: dict) -> None:
    """After a disk was removed: delete its volume where it may exist (best effort)."""
    sd_id = (disk.get("storage_domain") or {}).get("id")
    if not sd_id:
        return
    with ctx.engine.db.read() as conn:
        host = _serving_host(Tx(conn, ctx), sd_id)
    if host is not None:
        try:
            ctx.engine.broker.remove_volume(host, sd_id, disk["id"])
        except AgentError:
            pass
