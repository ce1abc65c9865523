"""VMs copied from another VM: from one of its snapshots (``POST /vms`` with ``snapshots``, oVirt's
AddVmFromSnapshot) or from its current disks (``POST /vms/{id}/clone`` with ``vm.name``, oVirt's CloneVm).

The new VM takes the source's configuration (the one saved with the snapshot) and full copies of the disks' data:
each disk collapsed by ``qemu-img convert`` from the snapshot's frozen volume, or from the disk's top volume for a
clone. The new VM is ``image_locked`` until its disks are filled; meanwhile the snapshot is ``locked``, and a
cloned VM that is down is ``image_locked`` with its disks locked, as oVirt locks the source of a copy; a running one
is copied from a temporary snapshot, merged away once its volumes are read (as oVirt's CloneVm does).
"""

from __future__ import annotations

import re

from sqlalchemy import Text, cast

from engine_api.commands import custom_properties, disks, images, nics, snapshots
from engine_api.commands.authz import on_arg, register
from engine_api.commands.builtin import BLANK_ID
from engine_api.commands.common import require_name
from engine_api.commands.runner import run
from engine_api.commands.tx import Tx, now_iso
from engine_api.commands.vmbase import (
    base_defaults,
    check,
    cluster_for_copy,
    drop_unresolved,
    resolve_placement,
    set_architecture,
)
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict, Fault
from engine_api.store.schema import KINDS

register("clone_vm", on_arg(1, "vm"))  # CREATE_VM, from the source VM

_ID = re.compile(r"^[0-9A-Fa-f-]{1,64}$")
# What a copy never takes from its source: who it is, where it runs, and what the engine keeps about it.
_NOT_COPIED = frozenset({
    "id", "name", "template", "cluster", "status", "status_detail", "stop_reason", "host", "creation_time",
    "start_time", "stop_time", "run_once", "next_run_configuration_exists", "fqdn", "guest_operating_system",
    "guest_time_zone", "statistics", "applications", "reported_devices", "sessions", "snapshots", "permissions",
    "tags", "katello_errata", "has_illegal_images", "original_template", "nics", "disk_attachments", "cdroms",
    "graphics_consoles", "watchdogs", "floppies", "host_devices", "mediated_devices", "numa_nodes",
    "host_numa_nodes", "affinity_labels", "origin", "href", "link", "actions",
})


def snapshot_ref(doc: dict) -> str | None:
    """The snapshot a new VM is to be copied from (``vm.snapshots.snapshot.id``), or None."""
    refs = doc.get("snapshots")
    if not refs:
        return None
    items = refs.get("snapshot") if isinstance(refs, dict) else refs
    items = [items] if isinstance(items, dict) else items
    if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict) or not items[0].get("id"):
        raise BadRequest("vm.snapshots: name exactly one snapshot, by its id")
    return str(items[0]["id"])


def _snapshot(tx: Tx, snapshot_id: str) -> tuple[dict, dict]:
    """The VM holding the snapshot, and the snapshot."""
    if _ID.fullmatch(snapshot_id):
        t = KINDS["vm"].table
        for vm in tx.find("vm", cast(t.c.doc, Text).like(f"%{snapshot_id}%")):
            for snapshot in vm.get("_snapshots") or []:
                if snapshot["id"] == snapshot_id:
                    return vm, snapshot
    raise BadRequest(f"vm.snapshots: no snapshot with id '{snapshot_id}'")


def _busy(vm: dict, verb: str) -> None:
    for s in vm.get("_snapshots") or []:
        if s.get("snapshot_status") == "locked":
            raise Conflict(f"Cannot {verb} VM {vm['name']}: snapshot {s['description']} is in progress.")
        if s.get("snapshot_status") == "in_preview":
            raise Conflict(f"Cannot {verb} VM {vm['name']}: it is previewing snapshot {s['description']}.")


def _create(tx: Tx, doc: dict, source: dict, config: dict, volumes: dict[str, str] | None, lock: bool,
            origin: dict) -> dict:
    """The new VM, its disks (to be filled from ``volumes``, or from the disks' tops) and its NICs."""
    name = require_name(doc, "vm")
    tx.unique_name("vm", name, "VM")
    cluster = cluster_for_copy(tx, doc, "vm.cluster", f"VM {name}", source)
    overrides = doc.get("disk_attachments")
    drop_unresolved(doc, "vm")
    wanted = {k: v for k, v in doc.items() if k not in _NOT_COPIED}
    new = {k: v for k, v in config.items() if k not in _NOT_COPIED and not k.startswith("_")} | wanted
    if wanted.get("custom_properties") is not None:
        custom_properties.check(tx, new, cluster, "vm")
    base_defaults(new)
    check(new, "vm")
    resolve_placement(tx, new, "vm")
    set_architecture(new, cluster)
    now = now_iso()
    # Its disks are copies of their own: it rests on no template (Blank), and remembers where it came from.
    new.update(name=name, cluster={"id": cluster["id"]}, template={"id": BLANK_ID},
               original_template=config.get("original_template") or config.get("template") or {"id": BLANK_ID},
               status="down", creation_time=now, stop_time=now, origin="ovirt", next_run_configuration_exists=False,
               run_once=False, has_illegal_images=False, _clone_of=origin)
    created = tx.insert("vm", new)
    disks.copy_all(tx, "vm", source["id"], "vm", created, overrides, "vm", volumes=volumes, lock=lock)
    nics.copy_all(tx, "vm", source["id"], "vm", created["id"])
    return created


def _from_snapshot(tx: Tx, doc: dict, snapshot_id: str) -> dict:
    source, snapshot = _snapshot(tx, snapshot_id)
    if snapshot.get("snapshot_type") != "regular":
        raise Conflict(f"Cannot add VM {doc.get('name')}: snapshot {snapshot['description']} is not a regular "
                       "snapshot.")
    _busy(source, "copy a snapshot of")
    volumes = {disk_id: plan["volume"] for disk_id, plan in (snapshot.get("_disks") or {}).items()}
    created = _create(tx, doc, source, snapshot.get("_config") or source, volumes, False,
                      {"vm": source["id"], "snapshot": snapshot["id"]})
    snapshot["snapshot_status"] = "locked"  # its volumes are read: it stays until the copy is done
    fresh = tx.must("vm", source["id"])
    fresh["_snapshots"] = source["_snapshots"]
    tx.update("vm", fresh)
    tx.event(37, f"VM {created['name']} creation was initiated by {tx.who} (from snapshot "
                 f"'{snapshot['description']}' of VM {source['name']}).", vm=created["id"])
    return created


def _clone(tx: Tx, vm_id: str, action: dict) -> dict:
    source = tx.must("vm", vm_id)
    doc = dict(action.get("vm") or {})
    if not doc.get("name"):
        raise BadRequest("action.vm.name is required", "Incomplete parameters")
    if action.get("discard_snapshots") is False:
        raise BadRequest("action.discard_snapshots: a clone holds each disk's current data without its snapshots; "
                         "only discard_snapshots=true is supported")
    live = source.get("status") in snapshots.LIVE
    if not live and source.get("status") != "down":
        raise Conflict(f"Cannot clone VM {source['name']}: it is {str(source.get('status')).replace('_', ' ')}.")
    if live and source.get("stateless"):
        raise Conflict(f"Cannot clone VM {source['name']}: it runs stateless.")
    _busy(source, "clone")
    sd = tx.ref("storage_domain", action.get("storage_domain"), "action.storage_domain", required=False)
    if sd is not None:
        atts = tx.find_by("disk_attachment", vm_id=vm_id)
        doc["disk_attachments"] = [{"disk": {"id": a["disk"]["id"], "storage_domains": [{"id": sd["id"]}]}}
                                   for a in atts]
    # A running VM is copied from a temporary snapshot (as oVirt's CloneVm): the volumes it freezes are read.
    volumes = {i: images.volume(d) for i, d in snapshots.snapshot_disks(tx, vm_id).items()} if live else None
    created = _create(tx, doc, source, source, volumes, not live, {"vm": source["id"]})
    if not live:
        source = tx.must("vm", vm_id)
        source["status"] = "image_locked"
        tx.update("vm", source)
    tx.event(37, f"VM {created['name']} creation was initiated by {tx.who} (a clone of VM {source['name']}).",
             vm=created["id"])
    return created


def _planned(tx: Tx, created: dict) -> dict:
    fill = images.plan_fill(tx, "vm", created["id"])
    if not fill:  # nothing to copy on a host: done at once
        images.cloned(tx, tx.must("vm", created["id"]), [])
    return dict(tx.must("vm", created["id"]), _fill=fill)


def _plan_from_snapshot(tx: Tx, doc: dict, snapshot_id: str) -> dict:
    return _planned(tx, _from_snapshot(tx, doc, snapshot_id))


def _plan_clone(tx: Tx, vm_id: str, action: dict) -> dict:
    created = _planned(tx, _clone(tx, vm_id, action))
    if tx.must("vm", vm_id).get("status") not in snapshots.LIVE:
        return created
    temporary = snapshots.plan_create(tx, vm_id, {"description": f"Temporary snapshot for the clone {created['name']}",
                                                  "persist_memorystate": False})
    vm = tx.must("vm", created["id"])
    if vm.get("_clone_of"):
        vm["_clone_of"]["snapshot"] = temporary["id"]
        tx.update("vm", vm)
    return dict(created, _temporary=temporary["id"])


def _abandon(tx: Tx, vm_id: str, error: str) -> None:
    """The copy could not be made (its temporary snapshot failed): its disks are illegal, as after a failed copy."""
    rows = tx.find_by("disk_attachment", vm_id=vm_id)
    outcome: dict[str, tuple[str, dict | str]] = {a["disk"]["id"]: ("illegal", error) for a in rows}
    images.settle(tx, "vm", vm_id, outcome)


def _live_clone_job(ctx: Context, source_id: str, temporary: str, vm_id: str) -> None:
    """Take the temporary snapshot, copy its frozen volumes, then merge the snapshot away again."""
    snapshots.create_job(ctx, source_id, temporary)
    with ctx.engine.db.read() as conn:
        source = Tx(conn, ctx).get("vm", source_id) or {}
    taken = any(s["id"] == temporary and s.get("snapshot_status") == "ok" for s in source.get("_snapshots") or [])
    if not taken:
        run(ctx, "image_job", _abandon, vm_id, "the temporary snapshot of the running VM could not be taken")
        return
    images.fill_now(ctx, "vm", vm_id)
    try:
        snapshots.remove_now(ctx, source_id, temporary)
    except Fault:
        pass  # refused (the VM is busy): the refusal is an event, and the snapshot stays for the user to remove


def _start_fill(ctx: Context, created: dict) -> dict:
    if created.pop("_fill", False):
        images.fill(ctx, "vm", created["id"], created["name"])
    return {k: v for k, v in created.items() if not k.startswith("_")}


def add_from_snapshot(ctx: Context, doc: dict, snapshot_id: str) -> dict:
    """``POST /vms`` naming a snapshot: a new VM from that point of the source VM's disks."""
    return _start_fill(ctx, run(ctx, "add_vm", _plan_from_snapshot, doc, snapshot_id))


def clone(ctx: Context, parent: dict | None, vm: dict, action: dict) -> dict:
    """``POST /vms/{id}/clone``: a new VM named ``action.vm.name`` with copies of this VM's disks."""
    created = run(ctx, "clone_vm", _plan_clone, vm["id"], action)
    temporary = created.pop("_temporary", None)
    if temporary:
        ctx.engine.jobs.submit(ctx, f"Cloning VM {vm['name']} as {created['name']}", _live_clone_job, ctx, vm["id"],
                               temporary, created["id"])
    else:
        _start_fill(ctx, created)
    return {}
