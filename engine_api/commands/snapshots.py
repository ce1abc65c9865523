"""VM snapshots as oVirt has them (``/vms/{id}/snapshots``, ``previewsnapshot``, ``commitsnapshot``,
``undosnapshot``, ``restore``).

A snapshot freezes the top volume of each disk it takes (all the VM's disks, or the subset asked) and gives
the disk a new qcow2 top over it: live through the hypervisor when the VM runs (an external snapshot, with the
RAM saved to a volume when ``persist_memorystate``), with qemu-img when it is down. The VM keeps its snapshots
in ``_snapshots`` (id, description, date, status, type, memory, and per disk the frozen volume); the "Active VM"
snapshot is the current state and is shown, not stored.

Removing a snapshot merges the volume above its frozen one into it: a live block commit while the VM runs
(an active commit with a pivot when that volume is the top), ``qemu-img commit`` and ``rebase`` while it is
down. A preview (VM down) puts a new top over the snapshot's volumes and keeps the disks' previous tops; a
commit drops those (and the snapshots taken after the previewed one), an undo drops the preview's tops.
A snapshot is ``locked`` while its job runs, ``in_preview`` while previewed.
"""

from __future__ import annotations

from engine_api.commands import images
from engine_api.commands.authz import on_arg, register
from engine_api.commands.runner import run
from engine_api.commands.storage_pools import pool_spec
from engine_api.commands.tx import Tx, new_id, now_iso
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict, NotFound
from engine_api.protocol.client import AgentError

for _action in ("create_snapshot", "remove_snapshot", "preview_snapshot", "commit_snapshot", "undo_snapshot",
                "restore_snapshot"):
    register(_action, on_arg(12, "vm"))  # MANIPULATE_VM_SNAPSHOTS on the VM

LIVE = {"up", "paused"}  # a snapshot is taken, or merged, through the hypervisor
OFFLINE = {"down"}
ACTIVE_ID_SUFFIX = "active-snapshot"


def active_snapshot(vm: dict, snapshot_id: str) -> dict:
    return {"id": snapshot_id, "description": "Active VM", "snapshot_type": "active", "snapshot_status": "ok",
            "persist_memorystate": False, "date": vm.get("creation_time"), "vm": {"id": vm["id"]}}


def listed(vm: dict, active_id: str) -> list[dict]:
    """The VM's snapshots as the API shows them: the stored ones, then the Active VM."""
    shown = []
    for s in vm.get("_snapshots") or []:
        shown.append({k: v for k, v in s.items() if not k.startswith("_")} | {"vm": {"id": vm["id"]}})
    return shown + [active_snapshot(vm, active_id)]


def _find(vm: dict, snapshot_id: str) -> dict:
    for s in vm.get("_snapshots") or []:
        if s["id"] == snapshot_id:
            return s
    raise NotFound(f"snapshot '{snapshot_id}' of VM {vm['name']} does not exist")


def _disks(tx: Tx, vm_id: str) -> dict[str, dict]:
    found = {}
    for att in tx.find_by("disk_attachment", vm_id=vm_id):
        disk = tx.must("disk", att["disk"]["id"])
        if disk.get("storage_type", "image") == "image" and not disk.get("shareable"):
            found[disk["id"]] = disk
    return found


def snapshot_disks(tx: Tx, vm_id: str) -> dict[str, dict]:
    """The disks a snapshot of the VM takes when it names none."""
    return _disks(tx, vm_id)


def _busy_check(vm: dict, verb: str) -> None:
    for s in vm.get("_snapshots") or []:
        if s.get("snapshot_status") == "locked":
            raise Conflict(f"Cannot {verb} VM {vm['name']}: snapshot {s['description']} is in progress.")


def _host(tx: Tx, vm: dict, disks: list[dict]) -> dict:
    if vm.get("status") in LIVE:
        return tx.must("host", vm["host"]["id"])
    pools = {images.pool_of(d) for d in disks}
    host = images.host_for(tx, *pools) if pools else None
    if host is None:
        raise Conflict(f"Cannot change the snapshots of VM {vm['name']}: no host serves its storage.")
    return host


def _save_vm(tx: Tx, vm: dict) -> None:
    fresh = tx.must("vm", vm["id"])
    fresh["_snapshots"] = vm.get("_snapshots") or []
    fresh.pop("_restore_memory", None)
    if vm.get("_restore_memory"):
        fresh["_restore_memory"] = vm["_restore_memory"]
    tx.update("vm", fresh)


# ---------------------------------------------------------------- create


def _plan_create(tx: Tx, vm_id: str, doc: dict) -> dict:
    vm = tx.must("vm", vm_id)
    description = str(doc.get("description") or "")
    if not description:
        raise BadRequest("snapshot.description is required", "Incomplete parameters")
    status = vm.get("status")
    if status not in LIVE | OFFLINE:
        raise Conflict(f"Cannot create a snapshot of VM {vm['name']}: it is {str(status).replace('_', ' ')}.")
    if status in LIVE and not vm.get("host"):
        raise Conflict(f"Cannot create a snapshot of VM {vm['name']}: it runs on no known host.")
    _busy_check(vm, "create a snapshot of")
    if any(s.get("snapshot_status") == "in_preview" for s in vm.get("_snapshots") or []):
        raise Conflict(f"Cannot create a snapshot of VM {vm['name']}: it is previewing a snapshot.")
    disks = _disks(tx, vm_id)
    wanted = doc.get("disk_attachments")
    if wanted is not None:
        ids = [((a or {}).get("disk") or {}).get("id") or (a or {}).get("id") for a in wanted]
        unknown = [i for i in ids if i not in disks]
        if unknown:
            raise BadRequest(f"snapshot.disk_attachments: VM {vm['name']} has no disk {', '.join(map(str, unknown))}")
        disks = {i: disks[i] for i in ids if i is not None}  # none is: each is one of the VM's disks
    for d in disks.values():
        if d.get("status") != "ok":
            raise Conflict(f"Cannot create a snapshot of VM {vm['name']}: disk {d['name']} is {d.get('status')}.")
    memory = doc.get("persist_memorystate")
    memory = status in LIVE and (True if memory is None else bool(memory))
    snapshot = {"id": new_id(), "description": description, "date": now_iso(), "snapshot_status": "locked",
                "snapshot_type": "regular", "persist_memorystate": memory,
                "_config": {k: v for k, v in vm.items() if not k.startswith("_")},  # what a copy of it takes
                "_disks": {i: {"volume": images.volume(d), "new": new_id()} for i, d in disks.items()}}
    vm.setdefault("_snapshots", []).append(snapshot)
    _save_vm(tx, vm)
    for d in disks.values():
        d["status"] = "locked"
        tx.update("disk", d)
    tx.event(45, f"Snapshot '{description}' creation for VM '{vm['name']}' was initiated by {tx.who}.",
             vm=vm_id)
    return snapshot


def plan_create(tx: Tx, vm_id: str, doc: dict) -> dict:
    """In the caller's transaction: a snapshot planned (``locked``), to be taken by :func:`create_job`."""
    return _plan_create(tx, vm_id, doc)


def _created(tx: Tx, vm_id: str, snapshot_id: str, result: dict | None, error: str = "") -> None:
    vm = tx.must("vm", vm_id)
    snapshot = _find(vm, snapshot_id)
    for disk_id, plan in snapshot["_disks"].items():
        disk = tx.get("disk", disk_id)
        if disk is None:
            continue
        disk["status"] = "ok"
        if result is not None:
            disk["_chain"] = images.chain(disk) + [plan["new"]]
            images.set_top(disk, plan["new"])
        tx.update("disk", disk)
    if result is None:
        vm["_snapshots"] = [s for s in vm["_snapshots"] if s["id"] != snapshot_id]
        _save_vm(tx, vm)
        tx.event(69, f"Failed to complete snapshot '{snapshot['description']}' creation for VM '{vm['name']}': "
                     f"{error}", "error", vm=vm_id)
        return
    snapshot["snapshot_status"] = "ok"
    snapshot["persist_memorystate"] = bool(result.get("memory"))
    snapshot["_disks"] = {i: {"volume": p["volume"]} for i, p in snapshot["_disks"].items()}
    if result.get("memory_volume"):
        snapshot["_memory"] = result["memory_volume"]
    _save_vm(tx, vm)
    how = " (live)" if result.get("live") else ""
    tx.event(68, f"Snapshot '{snapshot['description']}' creation for VM '{vm['name']}' has been completed{how}.",
             vm=vm_id)


def _create_job(ctx: Context, vm_id: str, snapshot_id: str) -> None:
    with ctx.engine.vm_lock(vm_id):
        with ctx.engine.db.read() as conn:
            tx = Tx(conn, ctx)
            vm = tx.must("vm", vm_id)
            snapshot = _find(vm, snapshot_id)
            disks = [tx.must("disk", i) for i in snapshot["_disks"]]
            try:
                host = _host(tx, vm, disks)
            except Conflict as e:
                run(ctx, "image_job", _created, vm_id, snapshot_id, None, e.detail)
                return
            sds = [tx.must("storage_domain", p) for p in {images.pool_of(d) for d in disks}]
        body: dict = {"vm": vm_id if vm.get("status") in LIVE else None, "disks": [
            {"pool": images.pool_of(d), "volume": snapshot["_disks"][d["id"]]["volume"],
             "new_volume": snapshot["_disks"][d["id"]]["new"]} for d in disks]}
        if snapshot.get("persist_memorystate") and disks:
            body["memory"] = {"pool": images.pool_of(disks[0]), "volume": f"{snapshot_id}.memory"}
        try:
            for sd in sds:
                ctx.engine.broker.connect_storage(host, pool_spec(sd))
            result = ctx.engine.broker.image_op(host, "snapshot", body)
        except AgentError as e:
            run(ctx, "image_job", _created, vm_id, snapshot_id, None, f"Host {host['name']}: {e}")
            return
        if result.get("memory"):
            result["memory_volume"] = body["memory"]
        run(ctx, "image_job", _created, vm_id, snapshot_id, result)


def create_job(ctx: Context, vm_id: str, snapshot_id: str) -> None:
    """Take a planned snapshot now, in the caller's thread."""
    _create_job(ctx, vm_id, snapshot_id)


def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
    if parent is None:
        raise NotFound("snapshots belong to a VM")
    snapshot = run(ctx, "create_snapshot", _plan_create, parent["id"], doc)
    ctx.engine.jobs.submit(ctx, f"Creating snapshot {snapshot['description']}", _create_job, ctx, parent["id"],
                           snapshot["id"], storage_task=True)
    return {k: v for k, v in snapshot.items() if not k.startswith("_")} | {"vm": {"id": parent["id"]}}


# ---------------------------------------------------------------- remove (merge)


def _plan_remove(tx: Tx, vm_id: str, snapshot_id: str) -> dict:
    vm = tx.must("vm", vm_id)
    snapshot = _find(vm, snapshot_id)
    if snapshot.get("snapshot_type") != "regular":
        raise Conflict(f"Cannot remove snapshot {snapshot['description']}: only regular snapshots can be removed.")
    if snapshot.get("snapshot_status") != "ok":
        raise Conflict(f"Cannot remove snapshot {snapshot['description']} of VM {vm['name']}: it is "
                       f"{snapshot['snapshot_status'].replace('_', ' ')}.")
    if any(s.get("snapshot_status") == "in_preview" for s in vm.get("_snapshots") or []):
        raise Conflict(f"Cannot remove snapshot {snapshot['description']} of VM {vm['name']}: a snapshot is in "
                       "preview.")
    _busy_check(vm, "remove a snapshot of")
    if vm.get("status") not in LIVE | OFFLINE:
        raise Conflict(f"Cannot remove snapshot {snapshot['description']}: VM {vm['name']} is "
                       f"{vm['status'].replace('_', ' ')}.")
    snapshot["snapshot_status"] = "locked"
    _save_vm(tx, vm)
    for disk_id in snapshot["_disks"]:
        disk = tx.get("disk", disk_id)
        if disk is not None:
            disk["status"] = "locked"
            tx.update("disk", disk)
    tx.event(342, f"Snapshot '{snapshot['description']}' deletion for VM '{vm['name']}' was initiated by "
                  f"{tx.who}.", vm=vm_id)
    return snapshot


def _merged(tx: Tx, vm_id: str, snapshot_id: str, done: dict[str, bool], errors: list[str], live: bool) -> None:
    vm = tx.must("vm", vm_id)
    snapshot = _find(vm, snapshot_id)
    for disk_id, ok in done.items():
        disk = tx.get("disk", disk_id)
        if disk is None:
            continue
        if ok:
            base = snapshot["_disks"][disk_id]["volume"]
            chain = images.chain(disk)
            top = chain[chain.index(base) + 1]
            chain.remove(top)
            disk["_chain"] = chain
            if disk.get("_volume") == top or images.volume(disk) == top:
                images.set_top(disk, base)
            for other in vm.get("_snapshots") or []:  # the snapshot that froze ``top`` now rests on ``base``
                plan = (other.get("_disks") or {}).get(disk_id)
                if plan and plan.get("volume") == top:
                    plan["volume"] = base
            del snapshot["_disks"][disk_id]
        disk["status"] = "ok" if ok else "illegal"
        tx.update("disk", disk)
    if errors:
        snapshot["snapshot_status"] = "ok"
        _save_vm(tx, vm)
        tx.event(357, f"Failed to delete snapshot '{snapshot['description']}' for VM '{vm['name']}': "
                      f"{'; '.join(errors)}", "error", vm=vm_id)
        return
    vm["_snapshots"] = [s for s in vm["_snapshots"] if s["id"] != snapshot_id]
    if snapshot.get("_memory") and vm.get("_restore_memory") == snapshot["_memory"]:
        vm.pop("_restore_memory")  # its RAM is deleted with it
    _save_vm(tx, vm)
    how = "live merge" if live else "cold merge"
    tx.event(356, f"Snapshot '{snapshot['description']}' deletion for VM '{vm['name']}' has been completed "
                  f"({how}).", vm=vm_id)


def _remove_job(ctx: Context, vm_id: str, snapshot_id: str) -> None:
    with ctx.engine.vm_lock(vm_id):
        with ctx.engine.db.read() as conn:
            tx = Tx(conn, ctx)
            vm = tx.must("vm", vm_id)
            snapshot = _find(vm, snapshot_id)
            disks = [d for d in (tx.get("disk", i) for i in snapshot["_disks"]) if d is not None]
            host = _host(tx, vm, disks)
            sds = [tx.must("storage_domain", p) for p in {images.pool_of(d) for d in disks}]
        live = vm.get("status") in LIVE
        done: dict[str, bool] = {}
        errors: list[str] = []
        try:
            for sd in sds:
                ctx.engine.broker.connect_storage(host, pool_spec(sd))
        except AgentError as e:
            errors.append(f"Host {host['name']}: {e}")
        for disk in disks if not errors else []:
            chain = images.chain(disk)
            base = snapshot["_disks"][disk["id"]]["volume"]
            i = chain.index(base)
            body = {"vm": vm_id if live else None, "pool": images.pool_of(disk), "base": base, "top": chain[i + 1],
                    "child": chain[i + 2] if i + 2 < len(chain) else None}
            try:
                ctx.engine.broker.image_op(host, "merge", body)
                done[disk["id"]] = True
            except AgentError as e:
                done[disk["id"]] = False
                errors.append(f"disk {disk['name']}: {e}")
        if snapshot.get("_memory") and not errors:
            try:
                ctx.engine.broker.image_op(host, "remove", {"pool": snapshot["_memory"]["pool"],
                                                            "volumes": [snapshot["_memory"]["volume"]]})
            except AgentError:
                pass
        run(ctx, "image_job", _merged, vm_id, snapshot_id, done, errors, live)


def remove_now(ctx: Context, vm_id: str, snapshot_id: str) -> None:
    """Remove (merge) a snapshot in the caller's thread; a refusal is raised as the fault it is."""
    run(ctx, "remove_snapshot", _plan_remove, vm_id, snapshot_id)
    _remove_job(ctx, vm_id, snapshot_id)


def remove(ctx: Context, parent: dict | None, current: dict) -> None:
    if parent is None:
        raise NotFound("snapshots belong to a VM")
    if current.get("snapshot_type") == "active":
        raise Conflict("The Active VM snapshot cannot be removed.")
    snapshot = run(ctx, "remove_snapshot", _plan_remove, parent["id"], current["id"])
    ctx.engine.jobs.submit(ctx, f"Removing snapshot {snapshot['description']}", _remove_job, ctx, parent["id"],
                           current["id"])


# ---------------------------------------------------------------- preview, commit, undo, restore


def _target(action: dict) -> str:
    ident = (action.get("snapshot") or {}).get("id")
    if not ident:
        raise BadRequest("action.snapshot.id is required", "Incomplete parameters")
    return str(ident)


def _plan_preview(tx: Tx, vm_id: str, snapshot_id: str) -> tuple[dict, dict, list[dict]]:
    vm = tx.must("vm", vm_id)
    snapshot = _find(vm, snapshot_id)
    if vm.get("status") != "down":
        raise Conflict(f"Cannot preview snapshot {snapshot['description']}: VM {vm['name']} is "
                       f"{vm['status'].replace('_', ' ')}; it must be down.")
    _busy_check(vm, "preview a snapshot of")
    if any(s.get("snapshot_status") == "in_preview" for s in vm.get("_snapshots") or []):
        raise Conflict(f"Cannot preview snapshot {snapshot['description']}: VM {vm['name']} already previews one.")
    if snapshot.get("snapshot_type") != "regular" or snapshot.get("snapshot_status") != "ok":
        raise Conflict(f"Cannot preview snapshot {snapshot['description']}: it is {snapshot['snapshot_status']}.")
    disks = [d for d in (tx.get("disk", i) for i in snapshot["_disks"]) if d is not None]
    for d in disks:
        if d.get("status") != "ok":
            raise Conflict(f"Cannot preview snapshot {snapshot['description']}: disk {d['name']} is {d['status']}.")
    host = _host(tx, vm, disks)
    snapshot["snapshot_status"] = "locked"
    _save_vm(tx, vm)
    return snapshot, host, disks


def _previewed(tx: Tx, vm_id: str, snapshot_id: str, tops: dict[str, str] | None, error: str = "",
               memory: bool = False) -> None:
    vm = tx.must("vm", vm_id)
    snapshot = _find(vm, snapshot_id)
    if tops is None:
        snapshot["snapshot_status"] = "ok"
        _save_vm(tx, vm)
        tx.event(1, f"Failed to preview snapshot '{snapshot['description']}' of VM '{vm['name']}': {error}",
                 "error", vm=vm_id)
        return
    for disk_id, top in tops.items():
        disk = tx.must("disk", disk_id)
        chain = images.chain(disk)
        base = snapshot["_disks"][disk_id]["volume"]
        disk["_preview"] = {"chain": chain, "volume": images.volume(disk)}
        disk["_chain"] = chain[:chain.index(base) + 1] + [top]
        images.set_top(disk, top)
        tx.update("disk", disk)
    snapshot["snapshot_status"] = "in_preview"
    vm.pop("_restore_memory", None)
    if memory and snapshot.get("_memory"):  # the next run resumes the guest from the RAM saved with the snapshot
        vm["_restore_memory"] = dict(snapshot["_memory"])
    vm["_snapshots"].append({"id": new_id(), "description": "Active VM before the preview", "date": now_iso(),
                             "snapshot_status": "ok", "snapshot_type": "preview", "persist_memorystate": False,
                             "_disks": {}})
    _save_vm(tx, vm)
    tx.event(93, f"VM {vm['name']} is previewing snapshot '{snapshot['description']}' ({tx.who}).", vm=vm_id)


def _connect(ctx: Context, host: dict, disks: list[dict]) -> None:
    with ctx.engine.db.read() as conn:
        tx = Tx(conn, ctx)
        sds = [tx.must("storage_domain", p) for p in {images.pool_of(d) for d in disks}]
    for sd in sds:
        ctx.engine.broker.connect_storage(host, pool_spec(sd))


def _preview(ctx: Context, vm_id: str, snapshot_id: str, memory: bool = False) -> None:
    snapshot, host, disks = run(ctx, "preview_snapshot", _plan_preview, vm_id, snapshot_id)
    tops: dict[str, str] = {}
    try:
        _connect(ctx, host, disks)
        for d in disks:
            top = new_id()
            ctx.engine.broker.image_op(host, "overlay", {
                "pool": images.pool_of(d), "volume": top, "backing_pool": images.pool_of(d),
                "backing_volume": snapshot["_disks"][d["id"]]["volume"]})
            tops[d["id"]] = top
    except AgentError as e:
        for d in disks:
            if d["id"] in tops:
                _remove_volumes(ctx, host, images.pool_of(d), [tops[d["id"]]])
        run(ctx, "image_job", _previewed, vm_id, snapshot_id, None, f"Host {host['name']}: {e}")
        raise Conflict(f"Cannot preview snapshot {snapshot['description']}: Host {host['name']}: {e}") from None
    run(ctx, "image_job", _previewed, vm_id, snapshot_id, tops, memory=memory)


def _remove_volumes(ctx: Context, host: dict, pool: str, vols: list[str]) -> None:
    try:
        ctx.engine.broker.image_op(host, "remove", {"pool": pool, "volumes": vols})
    except AgentError:
        pass  # a leftover file, not a broken chain


def _plan_end(tx: Tx, vm_id: str) -> tuple[dict, dict, list[dict]]:
    vm = tx.must("vm", vm_id)
    previewed = [s for s in vm.get("_snapshots") or [] if s.get("snapshot_status") == "in_preview"]
    if not previewed:
        raise Conflict(f"Cannot commit or undo: VM {vm['name']} previews no snapshot.")
    if vm.get("status") != "down":
        raise Conflict(f"Cannot commit or undo the preview of VM {vm['name']}: it is "
                       f"{vm['status'].replace('_', ' ')}; it must be down.")
    disks = [d for d in (tx.get("disk", i) for i in previewed[0]["_disks"]) if d is not None and d.get("_preview")]
    return previewed[0], _host(tx, vm, disks), disks


def _ended(tx: Tx, vm_id: str, commit: bool) -> list[tuple[str, list[str]]]:
    """Settle a commit or an undo; returns the volumes (per pool) that are no longer in any chain."""
    vm = tx.must("vm", vm_id)
    snapshot = next(s for s in vm["_snapshots"] if s.get("snapshot_status") == "in_preview")
    drop: list[tuple[str, list[str]]] = []
    for disk_id in snapshot["_disks"]:
        disk = tx.get("disk", disk_id)
        if disk is None or not disk.get("_preview"):
            continue
        stash = disk.pop("_preview")
        if commit:
            drop.append((images.pool_of(disk), [v for v in stash["chain"] if v not in disk["_chain"]]))
        else:
            drop.append((images.pool_of(disk), [v for v in disk["_chain"] if v not in stash["chain"]]))
            disk["_chain"] = stash["chain"]
            images.set_top(disk, stash["volume"])
        tx.update("disk", disk)
    kept = []
    after = False
    for s in vm["_snapshots"]:
        if s["snapshot_type"] == "preview":
            continue
        if commit and after and s["snapshot_type"] == "regular":
            if s.get("_memory"):
                drop.append((s["_memory"]["pool"], [s["_memory"]["volume"]]))
            continue  # taken after the committed snapshot: its volumes are gone with the old tops
        if s["id"] == snapshot["id"]:
            after = True
            s["snapshot_status"] = "ok"
        kept.append(s)
    vm["_snapshots"] = kept
    if not commit:
        vm.pop("_restore_memory", None)
    _save_vm(tx, vm)
    verb = "committed" if commit else "undone"
    tx.event(94 if commit else 95, f"The preview of snapshot '{snapshot['description']}' of VM '{vm['name']}' "
                                   f"was {verb} by {tx.who}.", vm=vm_id)
    return drop


def _end(ctx: Context, vm_id: str, commit: bool) -> None:
    _snapshot, host, _disks = run(ctx, "commit_snapshot" if commit else "undo_snapshot", _plan_end, vm_id)
    for pool, vols in run(ctx, "image_job", _ended, vm_id, commit):
        if vols:
            _remove_volumes(ctx, host, pool, vols)


def preview(ctx: Context, parent: dict | None, vm: dict, action: dict) -> dict:
    _preview(ctx, vm["id"], _target(action), bool(action.get("restore_memory")))
    return {}


def commit(ctx: Context, parent: dict | None, vm: dict, action: dict) -> dict:
    _end(ctx, vm["id"], True)
    return {}


def undo(ctx: Context, parent: dict | None, vm: dict, action: dict) -> dict:
    _end(ctx, vm["id"], False)
    return {}


def restore(ctx: Context, parent: dict | None, current: dict, action: dict) -> dict:
    """``POST /vms/{id}/snapshots/{sid}/restore``: a preview committed at once."""
    if parent is None:
        raise NotFound("snapshots belong to a VM")
    run(ctx, "restore_snapshot", lambda tx, vm_id: tx.must("vm", vm_id), parent["id"])  # the permission check
    _preview(ctx, parent["id"], current["id"], bool(action.get("restore_memory")))
    _end(ctx, parent["id"], True)
    return {}
