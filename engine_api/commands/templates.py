"""Templates: made from a VM that is down (its VmBase members, copies of its disks and its NICs), updated,
removed. The Blank template is built in and stays.
"""

from __future__ import annotations

from engine_api.commands import custom_properties, disks, images, nics, template_versions
from engine_api.commands.builtin import BLANK_ID
from engine_api.commands.common import merge, require_name
from engine_api.commands.runner import run
from engine_api.commands.tx import Tx, new_id, now_iso
from engine_api.commands.vmbase import (
    base_defaults,
    check,
    cluster_for_copy,
    drop_unresolved,
    follow_memory,
    inherit,
    resolve_placement,
    same_data_center,
    set_architecture,
)
from engine_api.core.context import Context
from engine_api.core.errors import Conflict

READONLY = frozenset({
    "status", "creation_time", "vm", "disk_attachments", "nics", "cdroms", "graphics_consoles", "watchdogs",
    "mediated_devices", "permissions", "tags", "origin", "version",
})


def create(tx: Tx, doc: dict) -> dict:
    sub_version = template_versions.plan(tx, doc)  # a version takes its base's name
    name = require_name(doc, "template")
    if sub_version is None:
        tx.unique_name("template", name, "Template")
    vm = tx.ref("vm", doc.get("vm"), "template.vm")
    version_in = doc.get("version") or {}
    if vm.get("status") != "down":
        raise Conflict(f"Cannot add template {name}: VM {vm['name']} is {vm.get('status')}; it must be down.")
    cluster = cluster_for_copy(tx, doc, "template.cluster", f"template {name}", vm)
    overrides = doc.get("disk_attachments")
    drop_unresolved(doc, "template")
    doc = {k: v for k, v in doc.items() if k not in READONLY and k not in ("id", "cluster")}
    if doc.get("custom_properties") is not None:
        custom_properties.check(tx, doc, cluster, "template")
    inherit(doc, vm)
    base_defaults(doc)
    check(doc, "template")
    resolve_placement(tx, doc, "template")
    set_architecture(doc, cluster)
    ident = new_id()
    version = sub_version or {"version_number": 1, "base_template": {"id": ident}}
    if version_in.get("version_name"):
        version["version_name"] = version_in["version_name"]
    doc.update(id=ident, cluster={"id": cluster["id"]}, status="ok", creation_time=now_iso(), origin="ovirt",
               version=version)
    created = tx.insert("template", doc)
    copies = disks.copy_all(tx, "vm", vm["id"], "template", created, overrides, "template")
    nics.copy_all(tx, "vm", vm["id"], "template", ident)
    extra = f" with {copies} disk(s)" if copies else ""
    tx.event(48, f"Template {name} was created from VM {vm['name']}{extra} by {tx.who}.", template=ident,
             vm=vm["id"], cluster=cluster["id"])
    return created


def _update(tx: Tx, current: dict, changes: dict) -> dict:
    current = tx.must("template", current["id"])
    changes = dict(changes)
    name = current["name"]
    blank = current["id"] == BLANK_ID
    cluster = None
    if changes.get("cluster"):
        cluster = tx.ref("cluster", changes["cluster"], "template.cluster")
        old = (current.get("cluster") or {}).get("id")
        if cluster["id"] != old:
            if blank:
                raise Conflict("The Blank template belongs to no cluster.")
            if not same_data_center(tx, old, cluster["id"]):
                raise Conflict(f"Cannot move template {name} to cluster {cluster['name']}: it is in another "
                               "data center.")
        changes["cluster"] = {"id": cluster["id"]}
    else:
        changes.pop("cluster", None)
    version_name = (changes.get("version") or {}).get("version_name")
    drop_unresolved(changes, "template")
    follow_memory(current, changes)
    doc = merge(current, changes, READONLY)
    if version_name is not None:
        doc["version"] = dict(doc.get("version") or {}, version_name=version_name)
    if doc["name"] != name:
        if blank:
            raise Conflict("The Blank template cannot be renamed.")
        require_name(doc, "template")
        tx.unique_name("template", doc["name"], "Template", exclude=doc["id"])
    check(doc, "template")
    if changes.get("custom_properties") is not None:
        owner = cluster or (tx.get("cluster", doc["cluster"]["id"]) if doc.get("cluster") else None)
        custom_properties.check(tx, doc, owner, "template")
    resolve_placement(tx, doc, "template")
    if cluster is not None:
        set_architecture(doc, cluster)
    if doc != current:
        tx.update("template", doc)
        tx.event(57, f"Template {doc['name']} was updated by {tx.who}.", template=doc["id"])
    return doc


def _remove(tx: Tx, current: dict) -> None:
    current = tx.must("template", current["id"])
    name = current["name"]
    if current["id"] == BLANK_ID:
        raise Conflict("The Blank template cannot be removed.")
    if current.get("delete_protected"):
        raise Conflict(f"Cannot remove template {name}: it is delete protected.")
    users = tx.find_by("vm", template_id=current["id"])
    if users:
        names = ", ".join(v["name"] for v in users[:5])
        raise Conflict(f"Cannot remove template {name}: VMs are based on it ({names}).")
    if template_versions.sub_versions(tx, current):
        raise Conflict(f"Cannot remove template {name}: it has sub-versions; remove them first.")
    if current.get("status") == "locked":
        raise Conflict(f"Cannot remove template {name}: it is locked while its disks are copied.")
    removed = disks.remove_owned(tx, "template", current["id"])
    tx.delete("template", current["id"])  # its NICs and disk attachments go with it
    extra = f" with {removed} disk(s)" if removed else ""
    tx.event(49, f"Template {name} was removed{extra} by {tx.who}.")


# ---------------------------------------------------------------- REST faces


def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
    created = run(ctx, "add_template", _create_and_plan, doc)
    if created.pop("_fill", False):
        images.fill(ctx, "template", created["id"], created["name"])
    return created


def _create_and_plan(tx: Tx, doc: dict) -> dict:
    created = create(tx, doc)
    work = images.plan_fill(tx, "template", created["id"])
    return dict(tx.must("template", created["id"]), _fill=work)


def update(ctx: Context, parent: dict | None, current: dict, changes: dict) -> dict:
    return run(ctx, "update_template", _update, current, changes)


def remove(ctx: Context, parent: dict | None, current: dict) -> None:
    owned = images.owned_disks(ctx, "template", current["id"])
    run(ctx, "remove_template", _remove, current)
    images.discard(ctx, owned)
