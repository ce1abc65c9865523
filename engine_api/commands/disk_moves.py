"""Copying and moving a disk between storage domains (``POST /disks/{id}/copy``, ``/move``).

A copy is a new floating disk on the target domain holding what the source shows (its chain collapsed by
``qemu-img convert``), in the source's format and allocation unless the action's ``disk`` asks for others.
A move puts the disk's volume on the target domain and deletes it from the source: with ``qemu-img convert``
while no VM runs it, live through the hypervisor (a block copy, then a pivot) while its VM runs. Both lock
the disks while the work runs and leave an audit event either way; a failed copy leaves its new disk
``illegal``, a failed move leaves the disk where it was. A disk with snapshots is not moved: its chain would
have to move whole.
"""

from __future__ import annotations

from engine_api.commands import images
from engine_api.commands.authz import on_arg, register
from engine_api.commands.disks import attachments_of, create_disk
from engine_api.commands.runner import run
from engine_api.commands.storage_pools import pool_spec
from engine_api.commands.tx import Tx
from engine_api.commands.volumes import _serving_host
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict
from engine_api.protocol.client import AgentError

register("copy_disk", on_arg(1102, "disk"))
register("move_disk", on_arg(1102, "disk"))

LIVE = {"up", "paused"}


def _target(tx: Tx, disk: dict, action: dict, verb: str) -> dict:
    sd = tx.ref("storage_domain", action.get("storage_domain"), "action.storage_domain")
    assert sd is not None
    if sd.get("type") != "data":
        raise BadRequest(f"action.storage_domain: {sd['name']} is not a data domain")
    if _serving_host(tx, sd["id"]) is None:
        raise Conflict(f"Cannot {verb} disk {disk['name']}: storage domain {sd['name']} is not active.")
    return sd


def _running_vm(tx: Tx, disk: dict) -> dict | None:
    for att in attachments_of(tx, disk["id"]):
        vm = tx.get("vm", att["vm"]["id"]) if att.get("vm") else None
        if vm is not None and vm.get("status") != "down":
            return vm
    return None


# ---------------------------------------------------------------- copy


def _plan_copy(tx: Tx, disk_id: str, action: dict) -> tuple[dict, dict, dict]:
    disk = tx.must("disk", disk_id)
    if disk.get("status") != "ok":
        raise Conflict(f"Cannot copy disk {disk['name']}: it is {disk.get('status')}.")
    sd = _target(tx, disk, action, "copy")
    vm = _running_vm(tx, disk)
    if vm is not None:
        raise Conflict(f"Cannot copy disk {disk['name']}: VM {vm['name']} is {vm['status'].replace('_', ' ')}; "
                       "a disk is copied while its VM is down.")
    wanted = action.get("disk") or {}
    spec = {k: v for k, v in disk.items() if k not in ("id", "image_id", "storage_domain", "name", "alias")
            and not k.startswith("_")}
    spec.update(alias=wanted.get("alias") or wanted.get("name") or f"{disk['name']}_copy",
                storage_domains=[{"id": sd["id"]}], format=wanted.get("format") or disk.get("_format")
                or disk.get("format"), sparse=disk.get("sparse", True) if wanted.get("sparse") is None
                else wanted["sparse"])
    if spec["format"] == "raw":
        spec.pop("qcow_version", None)
    new = create_disk(tx, spec, event=False)
    new["status"] = "locked"
    tx.update("disk", new)
    disk["status"] = "locked"
    tx.update("disk", disk)
    tx.event(2030, f"User {tx.who} is copying disk {disk['name']} to domain {sd['name']}.", storage_domain=sd["id"])
    return disk, new, sd


def _copied(tx: Tx, src_id: str, new_id: str, info: dict | None, error: str = "") -> None:
    src, new = tx.get("disk", src_id), tx.get("disk", new_id)
    if src is not None:
        src["status"] = "ok"
        tx.update("disk", src)
    if new is None:
        return
    if info is None:
        new["status"] = "illegal"
        tx.update("disk", new)
        tx.event(2025, f"User {tx.who} failed to copy disk {src['name'] if src else src_id} to {new['name']}: "
                       f"{error}", "error", storage_domain=images.pool_of(new))
        return
    new["status"] = "ok"
    new["_chain"] = [new["id"]]
    images.set_top(new, new["id"])
    if info.get("actual_size") is not None:
        new["actual_size"] = new["total_size"] = info["actual_size"]
    tx.update("disk", new)
    tx.event(2024, f"User {tx.who} finished copying disk {src['name'] if src else src_id} to {new['name']}.",
             storage_domain=images.pool_of(new))


def _copy_job(ctx: Context, src: dict, new: dict, sd: dict) -> None:
    with ctx.engine.db.read() as conn:
        tx = Tx(conn, ctx)
        host = _serving_host(tx, images.pool_of(src))
        src_sd = tx.must("storage_domain", images.pool_of(src))
    if host is None:
        run(ctx, "image_job", _copied, src["id"], new["id"], None, "no host serves its storage domain")
        return
    try:
        for domain in (src_sd, sd):
            ctx.engine.broker.connect_storage(host, pool_spec(domain))
        info = ctx.engine.broker.image_op(host, "copy", {
            "src_pool": images.pool_of(src), "src_volume": images.volume(src), "dst_pool": sd["id"],
            "dst_volume": new["id"], "format": new.get("format", "cow"), "sparse": new.get("sparse", True)})
    except AgentError as e:
        run(ctx, "image_job", _copied, src["id"], new["id"], None, f"Host {host['name']}: {e}")
        return
    run(ctx, "image_job", _copied, src["id"], new["id"], info)


def copy(ctx: Context, parent: dict | None, current: dict, action: dict) -> dict:
    src, new, sd = run(ctx, "copy_disk", _plan_copy, current["id"], action)
    ctx.engine.jobs.submit(ctx, f"Copying disk {src['name']}", _copy_job, ctx, src, new, sd)
    return {"disk": {"id": new["id"]}}


# ---------------------------------------------------------------- move


def _plan_move(tx: Tx, disk_id: str, action: dict) -> tuple[dict, dict, dict, dict | None]:
    disk = tx.must("disk", disk_id)
    if disk.get("status") != "ok":
        raise Conflict(f"Cannot move disk {disk['name']}: it is {disk.get('status')}.")
    sd = _target(tx, disk, action, "move")
    if sd["id"] == images.pool_of(disk):
        raise Conflict(f"Cannot move disk {disk['name']}: it is already on storage domain {sd['name']}.")
    if len(images.chain(disk)) > 1:
        raise Conflict(f"Cannot move disk {disk['name']}: it has snapshots; remove them first.")
    if images.thin_users(tx, disk["id"]) or any(a.get("template") for a in attachments_of(tx, disk["id"])):
        raise Conflict(f"Cannot move disk {disk['name']}: it is a template's disk.")
    vm = _running_vm(tx, disk)
    if vm is not None and (vm.get("status") not in LIVE or not vm.get("host")):
        raise Conflict(f"Cannot move disk {disk['name']}: VM {vm['name']} is {vm['status'].replace('_', ' ')}.")
    host = tx.must("host", vm["host"]["id"]) if vm else _serving_host(tx, images.pool_of(disk))
    if host is None:
        raise Conflict(f"Cannot move disk {disk['name']}: no host serves its storage domain.")
    disk["status"] = "locked"
    tx.update("disk", disk)
    how = f" while VM {vm['name']} runs" if vm else ""
    tx.event(2008, f"User {tx.who} is moving disk {disk['name']} to domain {sd['name']}{how}.",
             storage_domain=sd["id"], vm=vm["id"] if vm else None)
    return disk, sd, host, vm


def _moved(tx: Tx, disk_id: str, sd_id: str, info: dict | None, live: bool, error: str = "") -> None:
    disk = tx.get("disk", disk_id)
    if disk is None:
        return
    disk["status"] = "ok"
    sd = tx.must("storage_domain", sd_id)
    if info is None:
        tx.update("disk", disk)
        tx.event(2009, f"User {tx.who} failed to move disk {disk['name']} to domain {sd['name']}: {error}",
                 "error", storage_domain=sd_id)
        return
    disk["storage_domain"] = {"id": sd_id}
    disk.pop("_base", None)  # the copy holds the whole chain: no longer thin
    disk["_chain"] = [disk["id"]]
    images.set_top(disk, disk["id"])
    if info.get("actual_size") is not None and disk.get("sparse", True):
        disk["actual_size"] = disk["total_size"] = info["actual_size"]
    tx.update("disk", disk)
    how = " (live)" if live else ""
    tx.event(2010, f"User {tx.who} moved disk {disk['name']} to domain {sd['name']}{how}.", storage_domain=sd_id)


def _move_job(ctx: Context, disk: dict, sd: dict, host: dict, vm: dict | None) -> None:
    with ctx.engine.db.read() as conn:
        src_sd = Tx(conn, ctx).must("storage_domain", images.pool_of(disk))
    body = {"src_pool": images.pool_of(disk), "src_volume": images.volume(disk), "dst_pool": sd["id"],
            "dst_volume": disk["id"], "format": disk.get("format", "cow"), "sparse": disk.get("sparse", True),
            "vm": vm["id"] if vm else None}
    try:
        for domain in (src_sd, sd):
            ctx.engine.broker.connect_storage(host, pool_spec(domain))
        info = ctx.engine.broker.image_op(host, "move_live" if vm else "copy", body)
    except AgentError as e:
        run(ctx, "image_job", _moved, disk["id"], sd["id"], None, vm is not None, f"Host {host['name']}: {e}")
        return
    try:  # the source's volumes go before the disk is ok again on its new domain
        ctx.engine.broker.image_op(host, "remove", {"pool": images.pool_of(disk), "volumes": images.chain(disk)})
    except AgentError:
        pass  # a leftover file on the source domain
    run(ctx, "image_job", _moved, disk["id"], sd["id"], info, vm is not None)


def move(ctx: Context, parent: dict | None, current: dict, action: dict) -> dict:
    disk, sd, host, vm = run(ctx, "move_disk", _plan_move, current["id"], action)
    ctx.engine.jobs.submit(ctx, f"Moving disk {disk['name']}", _move_job, ctx, disk, sd, host, vm)
    return {}
