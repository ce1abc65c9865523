"""Disk images with data: a template's disks are copies of its VM's volumes; a VM made from a template gets thin
disks (qcow2 overlays on the template's volumes) or, with ``clone=true``, full copies.

A disk's volumes form a chain in its storage domain. ``_chain`` lists the disk's own volumes, bottom first (the
first is named by the disk's id); ``_volume`` is the top one, the volume a VM runs; a thin disk's ``_base``
names the template disk and volume under its chain, which it shares with every VM made from that template.
A new disk that must be filled from another carries ``_source`` until the job filling it is done; it is
``locked`` meanwhile, ``illegal`` when that failed (with an error event either way).
"""

from __future__ import annotations

from engine_api.commands.authz import CHECKED_ELSEWHERE, register
from engine_api.commands.runner import run
from engine_api.commands.storage_pools import pool_spec
from engine_api.commands.tx import Tx
from engine_api.commands.volumes import _serving_host
from engine_api.core.context import Context
from engine_api.core.errors import Conflict
from engine_api.protocol.client import AgentError
from engine_api.store.schema import KINDS

register("image_job", CHECKED_ELSEWHERE)  # a job's later step: its command was checked when accepted


def volume(disk: dict) -> str:
    """The top volume of the disk's chain: the one a VM runs."""
    return disk.get("_volume") or disk["id"]


def set_top(disk: dict, vol: str) -> None:
    """Make ``vol`` the disk's top volume; the API shows it as the disk's ``image_id`` (its active image), and
    its ``format`` is the top's: a snapshot's overlay is qcow2 even over a raw volume."""
    disk.setdefault("_format", disk.get("format", "cow"))
    disk["_volume"] = disk["image_id"] = vol
    disk["format"] = disk["_format"] if vol == disk["id"] else "cow"


def chain(disk: dict) -> list[str]:
    """The disk's own volumes, bottom first (a thin disk's template volume is not one of them)."""
    return list(disk.get("_chain") or [volume(disk)])


def pool_of(disk: dict) -> str:
    return disk["storage_domain"]["id"]


def thin_users(tx: Tx, disk_id: str) -> list[dict]:
    """The disks whose chains rest on this (template) disk's volume."""
    t = KINDS["disk"].table
    return tx.find("disk", t.c.doc[("_base", "disk")].as_string() == disk_id)


def host_for(tx: Tx, *sd_ids: str) -> dict | None:
    """An up host serving the first domain (and connected to the others when it can be)."""
    return _serving_host(tx, sd_ids[0])


# ---------------------------------------------------------------- planning (inside the adding transaction)


def plan_fill(tx: Tx, kind: str, owner_id: str) -> bool:
    """Lock the new disks of a template or VM that must be filled from others (and the disks they are read
    from, while a template copies them); returns whether there is work for :func:`fill`. A disk whose domain no
    host serves keeps today's behaviour: it stays an empty ``ok`` disk whose volume is made when first used."""
    work = False
    for att in tx.find_by("disk_attachment", **{f"{kind}_id": owner_id}):
        disk = tx.must("disk", att["disk"]["id"])
        source = disk.get("_source")
        if not source:
            continue
        src = tx.must("disk", source["disk"])
        if _serving_host(tx, pool_of(src)) is None:
            disk.pop("_source")
            tx.update("disk", disk)
            continue
        if src.get("status") != "ok":
            raise Conflict(f"Cannot copy disk {src['name']}: it is {src.get('status')}.")
        disk["status"] = "locked"
        source.update(volume=source.get("volume") or volume(src), pool=pool_of(src))  # a snapshot's, or the top
        tx.update("disk", disk)
        if kind == "template" or source.get("lock"):
            src["status"] = "locked"
            tx.update("disk", src)
        work = True
    if work:  # as oVirt: a template is locked, a VM image_locked, until its disks are filled
        owner = tx.must(kind, owner_id)
        owner["status"] = "locked" if kind == "template" else "image_locked"
        tx.update(kind, owner)
    return work


# ---------------------------------------------------------------- the job


def _settle(tx: Tx, kind: str, owner_id: str, outcome: dict[str, tuple[str, dict | str]]) -> None:
    """Record each disk's outcome: (``ok``, volume info) or (``illegal``, error); unlock the sources."""
    owner = tx.get(kind, owner_id)
    failed = []
    for disk_id, (status, detail) in outcome.items():
        disk = tx.get("disk", disk_id)
        if disk is None:
            continue
        source = disk.pop("_source", None) or {}
        src = tx.get("disk", source.get("disk", ""))
        if src is not None and src.get("status") == "locked" and (kind == "template" or source.get("lock")):
            src["status"] = "ok"
            tx.update("disk", src)
        disk["status"] = status
        if status == "ok" and isinstance(detail, dict):
            disk["_chain"] = [disk["id"]]
            set_top(disk, disk["id"])
            if source.get("thin"):
                disk["_base"] = {"disk": source["disk"], "volume": source["volume"], "pool": source["pool"]}
            if detail.get("actual_size") is not None:
                disk["actual_size"] = disk["total_size"] = detail["actual_size"]
        else:
            failed.append(f"{disk['name']}: {detail}")
        tx.update("disk", disk)
    what = f"{'Template' if kind == 'template' else 'VM'} {owner['name'] if owner else owner_id}"
    if kind == "template" and owner is not None:
        owner["status"] = "illegal" if failed else "ok"
        tx.update("template", owner)
    elif owner is not None and owner.get("status") == "image_locked":
        owner["status"] = "down"  # a disk that failed is illegal: the VM itself can be mended or removed
        tx.update("vm", owner)
    if owner is not None and owner.get("_clone_of"):
        cloned(tx, owner, failed)
        return
    if failed:
        tx.event(1302 if kind == "template" else 1303, f"Copying the disks of {what} failed: {'; '.join(failed)}",
                 "error", **({kind: owner_id} if owner else {}))
    else:
        tx.event(1301 if kind == "template" else 1300, f"The disks of {what} are ready ({len(outcome)}).",
                 **({kind: owner_id} if owner else {}))


def cloned(tx: Tx, vm: dict, failed: list[str]) -> None:
    """A VM copied from another VM (or one of its snapshots) is complete: the source is unlocked, and the outcome
    told as oVirt tells the end of an AddVmFromSnapshot or a CloneVm."""
    origin = vm.pop("_clone_of")
    tx.update("vm", vm)
    source = tx.get("vm", origin.get("vm", ""))
    if source is not None:
        if source.get("status") == "image_locked":
            source["status"] = "down"
        for snapshot in source.get("_snapshots") or []:
            if snapshot["id"] == origin.get("snapshot") and snapshot.get("snapshot_status") == "locked":
                snapshot["snapshot_status"] = "ok"
        tx.update("vm", source)
    if failed:
        tx.event(60, f"Failed to complete VM {vm['name']} creation: {'; '.join(failed)}", "error", vm=vm["id"])
    else:
        tx.event(53, f"VM {vm['name']} creation has been completed.", vm=vm["id"])


def _fill_job(ctx: Context, kind: str, owner_id: str) -> None:
    with ctx.engine.db.read() as conn:
        tx = Tx(conn, ctx)
        work = []
        for att in tx.find_by("disk_attachment", **{f"{kind}_id": owner_id}):
            disk = tx.must("disk", att["disk"]["id"])
            if disk.get("_source") and disk.get("status") == "locked":
                src = tx.must("disk", disk["_source"]["disk"])
                host = _serving_host(tx, pool_of(src))
                sds = {s: tx.must("storage_domain", s) for s in {pool_of(src), pool_of(disk)}}
                work.append((disk, src, host, sds))
    outcome: dict[str, tuple[str, dict | str]] = {}
    for disk, src, host, sds in work:
        if host is None:
            outcome[disk["id"]] = ("illegal", "no host serves its storage domain")
            continue
        try:
            for sd in sds.values():
                ctx.engine.broker.connect_storage(host, pool_spec(sd))
            if disk["_source"].get("thin"):
                info = ctx.engine.broker.image_op(host, "overlay", {
                    "pool": pool_of(disk), "volume": disk["id"], "backing_pool": pool_of(src),
                    "backing_volume": volume(src)})
            else:
                info = ctx.engine.broker.image_op(host, "copy", {
                    "src_pool": pool_of(src), "src_volume": disk["_source"].get("volume") or volume(src),
                    "dst_pool": pool_of(disk),
                    "dst_volume": disk["id"], "format": disk.get("format", "cow"),
                    "sparse": disk.get("sparse", True)})
            outcome[disk["id"]] = ("ok", info)
        except AgentError as e:
            outcome[disk["id"]] = ("illegal", f"Host {host['name']}: {e}")
    if outcome:
        run(ctx, "image_job", _settle, kind, owner_id, outcome)


def settle(tx: Tx, kind: str, owner_id: str, outcome: dict[str, tuple[str, dict | str]]) -> None:
    """Record the outcome of filling the disks of a template or VM (``ok`` with volume info, or ``illegal``)."""
    _settle(tx, kind, owner_id, outcome)


def fill_now(ctx: Context, kind: str, owner_id: str) -> None:
    """Fill the locked disks of a template or VM in the caller's thread."""
    _fill_job(ctx, kind, owner_id)


def fill(ctx: Context, kind: str, owner_id: str, name: str) -> None:
    """After a template or VM was added: the job that copies (or overlays) its disks' volumes."""
    ctx.engine.jobs.submit(ctx, f"Copying the disks of {kind.replace('_', ' ')} {name}", _fill_job, ctx, kind,
                           owner_id, storage_task=True)


def discard(ctx: Context, removed: list[dict]) -> None:
    """After disks were removed: delete their own volumes (never a template's volume under a thin disk)."""
    by_pool: dict[str, list[str]] = {}
    for disk in removed:
        if disk.get("storage_domain"):
            by_pool.setdefault(pool_of(disk), []).extend(chain(disk))
    for pool, vols in by_pool.items():
        with ctx.engine.db.read() as conn:
            host = _serving_host(Tx(conn, ctx), pool)
        if host is None:
            continue
        try:
            ctx.engine.broker.image_op(host, "remove", {"pool": pool, "volumes": vols})
        except AgentError:
            pass


def owned_disks(ctx: Context, kind: str, owner_id: str) -> list[dict]:
    """The disks only this VM or template uses (what its removal removes), read before it is removed."""
    with ctx.engine.db.read() as conn:
        tx = Tx(conn, ctx)
        owned = []
        for att in tx.find_by("disk_attachment", **{f"{kind}_id": owner_id}):
            others = tx.find_by("disk_attachment", disk_id=att["disk"]["id"])
            disk = tx.get("disk", att["disk"]["id"])
            if disk is not None and len(others) == 1:
                owned.append(disk)
        return owned
