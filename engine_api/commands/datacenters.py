"""Data centers: add (with the ovirtmgmt network), update, remove."""

from __future__ import annotations

from engine_api.commands import networks
from engine_api.commands.common import deep_defaults, merge, require_name
from engine_api.commands.runner import run
from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict
from engine_api.core.params import flag

SUPPORTED_VERSIONS = [{"major": 4, "minor": m} for m in (2, 3, 4, 5, 6, 7)]
LATEST = SUPPORTED_VERSIONS[-1]
READONLY = frozenset({"status", "supported_versions", "storage_format", "clusters", "networks",
                      "storage_domains", "permissions", "quotas", "qoss", "iscsi_bonds"})
MANAGEMENT_NETWORK = "ovirtmgmt"


def check_version(version: dict | None, field: str) -> None:
    if version is None:
        return
    if {"major": version.get("major"), "minor": version.get("minor")} not in SUPPORTED_VERSIONS:
        supported = ", ".join(f"{v['major']}.{v['minor']}" for v in SUPPORTED_VERSIONS)
        raise BadRequest(f"{field} {version.get('major')}.{version.get('minor')} is not supported "
                         f"(supported: {supported})")


def create(tx: Tx, doc: dict) -> dict:
    name = require_name(doc, "data_center")
    tx.unique_name("data_center", name, "Data Center")
    check_version(doc.get("version"), "data_center.version")
    doc = {k: v for k, v in doc.items() if k not in READONLY}
    deep_defaults(doc, {"local": False, "quota_mode": "disabled", "version": dict(LATEST), "description": ""})
    doc["version"] = {"major": doc["version"]["major"], "minor": doc["version"]["minor"]}
    doc.update(status="uninitialized", storage_format="v5", supported_versions=list(SUPPORTED_VERSIONS))
    created = tx.insert("data_center", doc)
    networks.create(tx, {"name": MANAGEMENT_NETWORK, "description": "Management Network",
                         "data_center": {"id": created["id"]}, "usages": ["vm", "management"]})
    tx.event(950, f"Data Center {name} was added by {tx.who}.", data_center=created["id"])
    return created


def _update(tx: Tx, current: dict, changes: dict) -> dict:
    current = tx.must("data_center", current["id"])
    doc = merge(current, changes, READONLY)
    if doc["name"] != current["name"]:
        require_name(doc, "data_center")
        tx.unique_name("data_center", doc["name"], "Data Center", exclude=current["id"])
    check_version(changes.get("version"), "data_center.version")
    if doc != current:
        tx.update("data_center", doc)
        tx.event(952, f"Data Center {doc['name']} was updated by {tx.who}.", data_center=doc["id"])
    return doc


def _remove(tx: Tx, current: dict, force: bool) -> None:
    current = tx.must("data_center", current["id"])
    clusters = tx.find_by("cluster", data_center_id=current["id"])
    if clusters:
        names = ", ".join(c["name"] for c in clusters)
        raise Conflict(f"Cannot remove Data Center {current['name']}: it still has clusters ({names}).")
    attached = tx.find_by("attached_storage_domain", data_center_id=current["id"])
    active = [a for a in attached if a.get("status") == "active"]
    if active and not force:
        raise Conflict(f"Cannot remove Data Center {current['name']}: it has active storage domains; "
                       "deactivate them first or remove with force.")
    for net in tx.find_by("network", data_center_id=current["id"]):
        networks.delete(tx, net)
    for a in attached:
        tx.delete("attached_storage_domain", a["id"])
    tx.delete("data_center", current["id"])
    tx.event(954, f"Data Center {current['name']} was removed by {tx.who}.")


def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
    return run(ctx, "add_data_center", create, doc)


def update(ctx: Context, parent: dict | None, current: dict, changes: dict) -> dict:
    return run(ctx, "update_data_center", _update, current, changes)


def remove(ctx: Context, parent: dict | None, current: dict) -> None:
    run(ctx, "remove_data_center", _remove, current, flag(ctx.params, "force"))
