"""Storage domains: add, update, remove, and their attachment to data centers.

At the top level a domain reports ``status`` only as ``unattached``; its status in a data center lives
on the attachment (``/datacenters/{dc}/storagedomains/{id}``), as in oVirt.
"""

from __future__ import annotations

from engine_api.commands.common import deep_defaults, merge, require_name
from engine_api.commands.runner import run
from engine_api.commands.storage_pools import connect_on_hosts, disconnect_on_hosts
from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict
from engine_api.core.params import flag
from engine_api.store.schema import col

READONLY = frozenset({"status", "master", "available", "used", "committed", "data_center", "data_centers",
                      "disks", "templates", "vms", "files", "disk_profiles", "disk_snapshots", "images",
                      "permissions", "storage_connections", "external_status", "storage_format", "host"})
SHARED_TYPES = {"iso", "export"}  # may be attached to several data centers

_NEEDS = {
    "nfs": ("address", "path"), "glusterfs": ("address", "path"), "posixfs": ("path", "vfs_type"),
    "localfs": ("path",),
}


def _check_storage(doc: dict) -> None:
    if not doc.get("type"):
        raise BadRequest("storage_domain.type is required (data, iso or export)", "Incomplete parameters")
    storage = doc.get("storage")
    if not storage or not storage.get("type"):
        raise BadRequest("storage_domain.storage.type is required (nfs, posixfs, localfs, iscsi, ...)",
                         "Incomplete parameters")
    stype = storage["type"]
    for key in _NEEDS.get(stype, ()):
        if not storage.get(key):
            raise BadRequest(f"storage_domain.storage.{key} is required for {stype} storage",
                             "Incomplete parameters")
    path = storage.get("path")
    if stype in ("nfs", "localfs") and path and not path.startswith("/"):
        raise BadRequest(f"storage_domain.storage.path must be an absolute path, got '{path}'")
    if stype == "iscsi" and not (storage.get("logical_units") or storage.get("volume_group")):
        raise BadRequest("storage_domain.storage.logical_units are required for iscsi storage",
                         "Incomplete parameters")


def create(tx: Tx, doc: dict) -> dict:
    name = require_name(doc, "storage_domain")
    tx.unique_name("storage_domain", name, "Storage Domain")
    _check_storage(doc)
    if doc.get("host"):
        tx.ref("host", doc["host"], "storage_domain.host")
    doc = {k: v for k, v in doc.items() if k not in READONLY}
    deep_defaults(doc, {"description": "", "wipe_after_delete": False, "discard_after_delete": False,
                        "backup": False, "block_size": 512, "warning_low_space_indicator": 10,
                        "critical_space_action_blocker": 5, "supports_discard": False})
    doc.update(storage_format="v5", master=False, external_status="ok")
    created = tx.insert("storage_domain", doc)
    tx.event(960, f"Storage Domain {name} was added by {tx.who}.", storage_domain=created["id"])
    return created


def _update(tx: Tx, current: dict, changes: dict) -> dict:
    current = tx.must("storage_domain", current["id"])
    if "storage" in changes:
        for key, value in changes["storage"].items():
            if key != "type" and current.get("storage", {}).get(key) not in (None, value):
                raise Conflict(f"Cannot change storage.{key} of Storage Domain {current['name']}.")
    doc = merge(current, changes, READONLY | {"type"})
    if doc["name"] != current["name"]:
        require_name(doc, "storage_domain")
        tx.unique_name("storage_domain", doc["name"], "Storage Domain", exclude=doc["id"])
    if doc != current:
        tx.update("storage_domain", doc)
        tx.event(962, f"Storage Domain {doc['name']} was updated by {tx.who}.", storage_domain=doc["id"])
    return doc


def _remove(tx: Tx, current: dict, destroy: bool) -> None:
    current = tx.must("storage_domain", current["id"])
    if tx.find_by("attached_storage_domain", storage_domain_id=current["id"]):
        raise Conflict(f"Cannot remove Storage Domain {current['name']}: it is attached to a data center; "
                       "deactivate and detach it first.")
    disks = tx.find_by("disk", storage_domain_id=current["id"])
    if disks and not destroy:
        raise Conflict(f"Cannot remove Storage Domain {current['name']}: it still holds {len(disks)} disk(s).")
    for d in disks:
        tx.delete("disk", d["id"])
    tx.delete("storage_domain", current["id"])
    tx.event(964, f"Storage Domain {current['name']} was removed by {tx.who}.")


# ---------------------------------------------------------------- attachment to data centers


def attachment(tx: Tx, dc_id: str, sd_id: str) -> dict | None:
    rows = tx.find_by("attached_storage_domain", data_center_id=dc_id, storage_domain_id=sd_id)
    return rows[0] if rows else None


def up_hosts_in(tx: Tx, dc_id: str) -> list[dict]:
    clusters = [c["id"] for c in tx.find_by("cluster", data_center_id=dc_id)]
    if not clusters:
        return []
    hosts = tx.find("host", col("host", "cluster_id").in_(clusters))
    return [h for h in hosts if h.get("status") == "up"]


def _attach(tx: Tx, dc: dict, doc: dict) -> dict:
    dc = tx.must("data_center", dc["id"])
    sd = tx.ref("storage_domain", {k: doc[k] for k in ("id", "name") if doc.get(k)}, "storage_domain")
    existing = tx.find_by("attached_storage_domain", storage_domain_id=sd["id"])
    if any(a["data_center"]["id"] == dc["id"] for a in existing):
        raise Conflict(f"Storage Domain {sd['name']} is already attached to Data Center {dc['name']}.")
    if existing and sd["type"] not in SHARED_TYPES:
        raise Conflict(f"Cannot attach Storage Domain {sd['name']}: it is attached to another data center.")
    if dc.get("local") and sd["storage"]["type"] != "localfs":
        raise Conflict(f"Cannot attach {sd['storage']['type']} storage to local Data Center {dc['name']}.")
    siblings = tx.find_by("attached_storage_domain", data_center_id=dc["id"])
    master = sd["type"] == "data" and not any(a.get("master") for a in siblings)
    tx.insert("attached_storage_domain", {"data_center": {"id": dc["id"]}, "storage_domain": {"id": sd["id"]},
                                          "status": "maintenance", "master": master})
    tx.event(966, f"Storage Domain {sd['name']} was attached to Data Center {dc['name']} by {tx.who}.",
             storage_domain=sd["id"], data_center=dc["id"])
    hosts = up_hosts_in(tx, dc["id"])
    if hosts:
        connect_on_hosts(tx, sd, hosts)
        _set_status(tx, dc, sd, "active")
    return {"id": sd["id"]}


def _set_status(tx: Tx, dc: dict, sd: dict, status: str) -> None:
    a = attachment(tx, dc["id"], sd["id"])
    if a is None:
        raise Conflict(f"Storage Domain {sd['name']} is not attached to Data Center {dc['name']}.")
    a["status"] = status
    tx.update("attached_storage_domain", a)
    actives = [x for x in tx.find_by("attached_storage_domain", data_center_id=dc["id"])
               if x.get("status") == "active" and x.get("master")]
    dc = tx.must("data_center", dc["id"])
    dc_status = "up" if actives else "uninitialized" if dc["status"] == "uninitialized" else "maintenance"
    if dc["status"] != dc_status:
        dc["status"] = dc_status
        tx.update("data_center", dc)


def _activate(tx: Tx, dc: dict, sd: dict) -> None:
    a = attachment(tx, dc["id"], sd["id"])
    if a is None:
        raise Conflict(f"Storage Domain {sd['name']} is not attached to Data Center {dc['name']}.")
    if a["status"] == "active":
        return
    hosts = up_hosts_in(tx, dc["id"])
    if not hosts:
        raise Conflict(f"Cannot activate Storage Domain {sd['name']}: there is no host in status up in "
                       f"Data Center {dc['name']}.")
    connect_on_hosts(tx, tx.must("storage_domain", sd["id"]), hosts)
    _set_status(tx, dc, sd, "active")
    tx.event(968, f"Storage Domain {sd['name']} was activated by {tx.who}.", storage_domain=sd["id"],
             data_center=dc["id"])


def _deactivate(tx: Tx, dc: dict, sd: dict) -> None:
    a = attachment(tx, dc["id"], sd["id"])
    if a is None:
        raise Conflict(f"Storage Domain {sd['name']} is not attached to Data Center {dc['name']}.")
    if a["status"] == "maintenance":
        return
    _set_status(tx, dc, sd, "maintenance")
    disconnect_on_hosts(tx, sd, up_hosts_in(tx, dc["id"]))
    tx.event(970, f"Storage Domain {sd['name']} was deactivated by {tx.who}.", storage_domain=sd["id"],
             data_center=dc["id"])


def _detach(tx: Tx, dc: dict, sd: dict) -> None:
    a = attachment(tx, dc["id"], sd["id"])
    if a is None:
        raise Conflict(f"Storage Domain {sd['name']} is not attached to Data Center {dc['name']}.")
    if a["status"] == "active":
        raise Conflict(f"Cannot detach Storage Domain {sd['name']}: it is active; deactivate it first.")
    tx.delete("attached_storage_domain", a["id"])
    tx.event(972, f"Storage Domain {sd['name']} was detached from Data Center {dc['name']} by {tx.who}.",
             storage_domain=sd["id"], data_center=dc["id"])


# ---------------------------------------------------------------- REST faces


def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
    return run(ctx, "add_storage_domain", create, doc)


def update(ctx: Context, parent: dict | None, current: dict, changes: dict) -> dict:
    return run(ctx, "update_storage_domain", _update, current, changes)


def remove(ctx: Context, parent: dict | None, current: dict) -> None:
    run(ctx, "remove_storage_domain", _remove, current, flag(ctx.params, "destroy") or flag(ctx.params, "format"))


def attach(ctx: Context, dc: dict | None, doc: dict) -> dict:
    return run(ctx, "attach_storage_domain", _attach, dc, doc)


def detach(ctx: Context, dc: dict | None, sd: dict) -> None:
    run(ctx, "detach_storage_domain", _detach, dc, sd)


def activate(ctx: Context, dc: dict | None, sd: dict, action: dict) -> None:
    run(ctx, "activate_storage_domain", _activate, dc, sd)


def deactivate(ctx: Context, dc: dict | None, sd: dict, action: dict) -> None:
    run(ctx, "deactivate_storage_domain", _deactivate, dc, sd)
