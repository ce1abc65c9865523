"""Virtual machines: add (from a template), update, remove, and the power actions.

A new VM takes every VmBase member it is not given from its template (Blank by default), and gets copies
of the template's disks and NICs. Running VMs is the host agent's work: until it is there, the power
actions refuse with a 409 that says why, and never pretend to succeed.
"""

from __future__ import annotations

from engine_api.commands import custom_properties, disks, images, nics, template_versions, vm_clones
from engine_api.commands.builtin import BLANK_ID
from engine_api.commands.common import merge, require_name
from engine_api.commands.runner import run
from engine_api.commands.tx import Tx, now_iso
from engine_api.commands.vmbase import (
    base_defaults,
    check,
    drop_unresolved,
    follow_memory,
    inherit,
    resolve_lease,
    resolve_placement,
    same_data_center,
    set_architecture,
)
from engine_api.core.context import Context
from engine_api.core.errors import Conflict
from engine_api.core.params import flag

READONLY = frozenset({
    "status", "status_detail", "stop_reason", "host", "creation_time", "start_time", "stop_time", "run_once",
    "next_run_configuration_exists", "fqdn", "guest_operating_system", "guest_time_zone", "statistics",
    "applications", "reported_devices", "sessions", "snapshots", "permissions", "tags", "katello_errata",
    "has_illegal_images", "original_template", "nics", "disk_attachments", "cdroms", "graphics_consoles",
    "watchdogs", "floppies", "host_devices", "mediated_devices", "numa_nodes", "host_numa_nodes",
    "affinity_labels", "origin",
})

# What a running VM takes at once; any other change waits for its next run.
LIVE = frozenset({"name", "description", "comment", "delete_protected", "high_availability",
                  "placement_policy", "next_run_configuration_exists"})


def create(tx: Tx, doc: dict, clone: bool = False) -> dict:
    """``clone``: the VM's disks are full copies of the template's, not thin overlays on them."""
    name = require_name(doc, "vm")
    tx.unique_name("vm", name, "VM")
    cluster = tx.ref("cluster", doc.get("cluster"), "vm.cluster")
    template = template_versions.pick(tx, doc.get("template") or {"id": BLANK_ID}, "vm.template",
                                      bool(doc.get("use_latest_template_version")))
    if template.get("status", "ok") != "ok":
        raise Conflict(f"Cannot add VM {name}: template {template['name']} is {template['status']}.")
    if not same_data_center(tx, (template.get("cluster") or {}).get("id"), cluster["id"]):
        raise Conflict(f"Cannot add VM {name}: template {template['name']} belongs to another data center "
                       f"than cluster {cluster['name']}.")
    overrides = doc.get("disk_attachments")
    drop_unresolved(doc, "vm")
    doc = {k: v for k, v in doc.items() if k not in READONLY and k not in ("id", "template", "cluster")}
    if doc.get("custom_properties") is not None:
        custom_properties.check(tx, doc, cluster, "vm")
    inherit(doc, template)
    base_defaults(doc)
    check(doc, "vm")
    resolve_placement(tx, doc, "vm")
    set_architecture(doc, cluster)
    resolve_lease(tx, doc, "vm", cluster["id"])
    now = now_iso()
    doc.update(cluster={"id": cluster["id"]}, template={"id": template["id"]},
               original_template={"id": template["id"]}, status="down", creation_time=now, stop_time=now,
               origin="ovirt", next_run_configuration_exists=False, run_once=False, has_illegal_images=False)
    doc.setdefault("use_latest_template_version", False)
    created = tx.insert("vm", doc)
    copies = disks.copy_all(tx, "template", template["id"], "vm", created, overrides, "vm", thin=not clone)
    nics.copy_all(tx, "template", template["id"], "vm", created["id"])
    extra = f" with {copies} disk(s)" if copies else ""
    tx.event(34, f"VM {name} was created from template {template['name']}{extra} by {tx.who}.",
             vm=created["id"], cluster=cluster["id"], template=template["id"])
    return created


def _update(tx: Tx, current: dict, changes: dict) -> dict:
    current = tx.must("vm", current["id"])
    changes = dict(changes)
    name = current["name"]
    if changes.get("template"):
        template = tx.ref("template", changes["template"], "vm.template")
        if template["id"] != (current.get("template") or {}).get("id"):
            raise Conflict(f"Cannot change the template of VM {name}.")
    changes.pop("template", None)
    cluster = None
    if changes.get("cluster"):
        cluster = tx.ref("cluster", changes["cluster"], "vm.cluster")
        if cluster["id"] != current["cluster"]["id"]:
            if not same_data_center(tx, current["cluster"]["id"], cluster["id"]):
                raise Conflict(f"Cannot move VM {name} to cluster {cluster['name']}: it is in another "
                               "data center.")
            if current.get("status") != "down":
                raise Conflict(f"Cannot move VM {name} to another cluster while it is "
                               f"{current.get('status')}.")
        changes["cluster"] = {"id": cluster["id"]}
    else:
        changes.pop("cluster", None)
    drop_unresolved(changes, "vm")
    follow_memory(current, changes)
    doc = merge(current, changes, READONLY)
    if doc["name"] != name:
        require_name(doc, "vm")
        tx.unique_name("vm", doc["name"], "VM", exclude=doc["id"])
    check(doc, "vm")
    if changes.get("custom_properties") is not None:
        custom_properties.check(tx, doc, cluster or tx.must("cluster", doc["cluster"]["id"]), "vm")
    resolve_placement(tx, doc, "vm")
    resolve_lease(tx, doc, "vm", doc["cluster"]["id"], changes)
    if cluster is not None:
        set_architecture(doc, cluster)
    if current.get("status") != "down" and any(doc.get(k) != current.get(k) for k in set(doc) - LIVE):
        doc["next_run_configuration_exists"] = True  # the running VM keeps its old configuration until then
    if doc != current:
        tx.update("vm", doc)
        tx.event(35, f"VM {doc['name']} configuration was updated by {tx.who}.", vm=doc["id"],
                 cluster=doc["cluster"]["id"])
    return doc


def _remove(tx: Tx, current: dict, detach_only: bool) -> None:
    current = tx.must("vm", current["id"])
    name = current["name"]
    if current.get("delete_protected"):
        raise Conflict(f"Cannot remove VM {name}: it is delete protected.")
    if current.get("status") != "down":
        raise Conflict(f"Cannot remove VM {name}: it is {current.get('status')}; stop it first.")
    removed = 0 if detach_only else disks.remove_owned(tx, "vm", current["id"])
    tx.delete("vm", current["id"])  # its NICs and disk attachments go with it
    extra = f" with {removed} disk(s)" if removed else " (disks kept)" if detach_only else ""
    tx.event(113, f"VM {name} was removed{extra} by {tx.who}.", cluster=current["cluster"]["id"])


# ---------------------------------------------------------------- REST faces


def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
    snapshot_id = vm_clones.snapshot_ref(doc)
    if snapshot_id:  # a copy of another VM at one of its snapshots
        return vm_clones.add_from_snapshot(ctx, doc, snapshot_id)
    created = run(ctx, "add_vm", _create_and_plan, doc, flag(ctx.params, "clone"))
    if created.pop("_fill", False):
        images.fill(ctx, "vm", created["id"], created["name"])
    return created


def _create_and_plan(tx: Tx, doc: dict, clone: bool) -> dict:
    created = create(tx, doc, clone)
    fill = images.plan_fill(tx, "vm", created["id"])
    return dict(tx.must("vm", created["id"]) if fill else created, _fill=fill)


def update(ctx: Context, parent: dict | None, current: dict, changes: dict) -> dict:
    return run(ctx, "update_vm", _update, current, changes)


def remove(ctx: Context, parent: dict | None, current: dict) -> None:
    detach_only = flag(ctx.params, "detach_only")
    owned = [] if detach_only else images.owned_disks(ctx, "vm", current["id"])
    run(ctx, "remove_vm", _remove, current, detach_only)
    images.discard(ctx, owned)
