"""Logical networks, their vNIC profiles, and their assignment to clusters."""

from __future__ import annotations

from engine_api.commands.common import deep_defaults, merge, require_name
from engine_api.commands.runner import run
from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict

READONLY = frozenset({"status", "vnic_profiles", "network_labels", "permissions", "cluster", "display"})
PROFILE_READONLY = frozenset({"permissions"})
CLUSTER_USAGES = {"display", "migration", "management", "gluster", "default_route", "vm"}


def _check(doc: dict) -> None:
    vlan = doc.get("vlan")
    if vlan is not None and vlan.get("id") is not None and not 0 <= vlan["id"] <= 4094:
        raise BadRequest(f"network.vlan.id must be between 0 and 4094, got {vlan['id']}")
    if doc.get("mtu") is not None and not (doc["mtu"] == 0 or 68 <= doc["mtu"] <= 65520):
        raise BadRequest(f"network.mtu must be 0 (default) or between 68 and 65520, got {doc['mtu']}")


def create(tx: Tx, doc: dict) -> dict:
    name = require_name(doc, "network")
    dc = tx.ref("data_center", doc.get("data_center"), "network.data_center")
    tx.unique_name("network", name, "Logical Network", data_center=dc["id"])
    _check(doc)
    doc = {k: v for k, v in doc.items() if k not in READONLY}
    doc["data_center"] = {"id": dc["id"]}
    deep_defaults(doc, {"description": "", "stp": False, "mtu": 0, "usages": ["vm"], "required": True,
                        "profile_required": False, "port_isolation": False})
    doc.setdefault("vdsm_name", name[:15])
    created = tx.insert("network", doc)
    if "vm" in doc["usages"]:
        create_profile(tx, {"name": name, "network": {"id": created["id"]}})
    tx.event(942, f"Network {name} was added to Data Center {dc['name']} by {tx.who}.", data_center=dc["id"])
    return created


def _update(tx: Tx, current: dict, changes: dict) -> dict:
    current = tx.must("network", current["id"])
    doc = merge(current, changes, READONLY | {"data_center"})
    if "vlan" in changes and (changes["vlan"] or {}).get("id") is None:
        doc.pop("vlan", None)  # a vlan without an id (<vlan/>) removes the tag, as in oVirt
    if doc["name"] != current["name"]:
        require_name(doc, "network")
        tx.unique_name("network", doc["name"], "Logical Network", exclude=doc["id"],
                       data_center=doc["data_center"]["id"])
    _check(doc)
    if doc != current:
        tx.update("network", doc)
        tx.event(944, f"Network {doc['name']} was updated by {tx.who}.", data_center=doc["data_center"]["id"])
    return doc


def delete(tx: Tx, current: dict) -> None:
    """Remove a network with its profiles and cluster assignments; refused while vNICs use it."""
    profiles = tx.find_by("vnic_profile", network_id=current["id"])
    for p in profiles:
        _refuse_if_used(tx, p)
    for a in tx.find_by("cluster_network", network_id=current["id"]):
        tx.delete("cluster_network", a["id"])
    for p in profiles:
        tx.delete("vnic_profile", p["id"])
    tx.delete("network", current["id"])


def _remove(tx: Tx, current: dict) -> None:
    current = tx.must("network", current["id"])
    clusters = tx.find_by("cluster_network", network_id=current["id"])
    if any("management" in (a.get("usages") or []) for a in clusters):
        raise Conflict(f"Cannot remove network {current['name']}: it is the management network of a cluster.")
    delete(tx, current)
    tx.event(946, f"Network {current['name']} was removed by {tx.who}.",
             data_center=current["data_center"]["id"])


# ---------------------------------------------------------------- vNIC profiles


def _refuse_if_used(tx: Tx, profile: dict) -> None:
    users = tx.find_by("nic", vnic_profile_id=profile["id"])
    if users:
        raise Conflict(f"Cannot remove vNIC profile {profile['name']}: {len(users)} vNIC(s) use it.")


def create_profile(tx: Tx, doc: dict) -> dict:
    name = require_name(doc, "vnic_profile")
    net = tx.ref("network", doc.get("network"), "vnic_profile.network")
    tx.unique_name("vnic_profile", name, "VM network interface profile", network=net["id"])
    doc = {k: v for k, v in doc.items() if k not in PROFILE_READONLY}
    doc["network"] = {"id": net["id"]}
    deep_defaults(doc, {"description": "", "port_mirroring": False, "pass_through": {"mode": "disabled"},
                        "migratable": False})
    created = tx.insert("vnic_profile", doc)
    tx.event(1122, f"vNIC profile {name} was added to network {net['name']} by {tx.who}.")
    return created


def _update_profile(tx: Tx, current: dict, changes: dict) -> dict:
    current = tx.must("vnic_profile", current["id"])
    doc = merge(current, changes, PROFILE_READONLY | {"network"})
    if doc["name"] != current["name"]:
        require_name(doc, "vnic_profile")
        tx.unique_name("vnic_profile", doc["name"], "VM network interface profile", exclude=doc["id"],
                       network=doc["network"]["id"])
    if doc != current:
        tx.update("vnic_profile", doc)
        tx.event(1124, f"vNIC profile {doc['name']} was updated by {tx.who}.")
    return doc


def _remove_profile(tx: Tx, current: dict) -> None:
    current = tx.must("vnic_profile", current["id"])
    _refuse_if_used(tx, current)
    tx.delete("vnic_profile", current["id"])
    tx.event(1126, f"vNIC profile {current['name']} was removed by {tx.who}.")


# ---------------------------------------------------------------- cluster assignment


def assign(tx: Tx, cluster: dict, doc: dict) -> dict:
    net = tx.ref("network", {k: doc[k] for k in ("id", "name") if doc.get(k)}, "network",
                 data_center=cluster["data_center"]["id"])
    if net["data_center"]["id"] != cluster["data_center"]["id"]:
        raise Conflict(f"Network {net['name']} belongs to another data center than cluster {cluster['name']}.")
    existing = tx.find_by("cluster_network", cluster_id=cluster["id"], network_id=net["id"])
    if existing:
        raise Conflict(f"Network {net['name']} is already assigned to cluster {cluster['name']}.")
    usages = doc.get("usages") or [u for u in net.get("usages", []) if u in CLUSTER_USAGES]
    bad = set(usages) - CLUSTER_USAGES
    if bad:
        raise BadRequest(f"network.usages: {', '.join(sorted(bad))} cannot be used in a cluster")
    link = {"id": f"{cluster['id'][:18]}{net['id'][18:]}", "cluster": {"id": cluster["id"]},
            "network": {"id": net["id"]}, "usages": usages,
            "required": doc.get("required", net.get("required", True)), "display": "display" in usages}
    tx.insert("cluster_network", link)
    tx.event(936, f"Network {net['name']} was attached to Cluster {cluster['name']} by {tx.who}.",
             cluster=cluster["id"])
    return {"id": net["id"]}


def _assign(tx: Tx, cluster: dict, doc: dict) -> dict:
    return assign(tx, tx.must("cluster", cluster["id"]), doc)


def _unassign(tx: Tx, cluster: dict, net: dict) -> None:
    rows = tx.find_by("cluster_network", cluster_id=cluster["id"], network_id=net["id"])
    for row in rows:
        if "management" in (row.get("usages") or []):
            raise Conflict(f"Cannot detach the management network {net['name']} from cluster {cluster['name']}.")
        tx.delete("cluster_network", row["id"])
    tx.event(938, f"Network {net['name']} was detached from Cluster {cluster['name']} by {tx.who}.",
             cluster=cluster["id"])


def _update_assignment(tx: Tx, cluster: dict, net: dict, changes: dict) -> dict:
    rows = tx.find_by("cluster_network", cluster_id=cluster["id"], network_id=net["id"])
    for row in rows:
        updated = dict(row)
        for key in ("required", "usages"):
            if key in changes:
                updated[key] = changes[key]
        updated["display"] = "display" in updated.get("usages", [])
        if updated != row:
            tx.update("cluster_network", updated)
            tx.event(940, f"Network {net['name']} in Cluster {cluster['name']} was updated by {tx.who}.",
                     cluster=cluster["id"])
    return net


# ---------------------------------------------------------------- REST faces


def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
    if parent is not None:
        doc["data_center"] = {"id": parent["id"]}
    return run(ctx, "add_network", create, doc)


def update(ctx: Context, parent: dict | None, current: dict, changes: dict) -> dict:
    return run(ctx, "update_network", _update, current, changes)


def remove(ctx: Context, parent: dict | None, current: dict) -> None:
    run(ctx, "remove_network", _remove, current)


def add_profile(ctx: Context, parent: dict | None, doc: dict) -> dict:
    if parent is not None:
        doc["network"] = {"id": parent["id"]}
    return run(ctx, "add_vnic_profile", create_profile, doc)


def update_profile(ctx: Context, parent: dict | None, current: dict, changes: dict) -> dict:
    return run(ctx, "update_vnic_profile", _update_profile, current, changes)


def remove_profile(ctx: Context, parent: dict | None, current: dict) -> None:
    run(ctx, "remove_vnic_profile", _remove_profile, current)


def assign_to_cluster(ctx: Context, cluster: dict | None, doc: dict) -> dict:
    return run(ctx, "assign_network", _assign, cluster, doc)


def unassign_from_cluster(ctx: Context, cluster: dict | None, net: dict) -> None:
    run(ctx, "detach_network", _unassign, cluster, net)


def update_cluster_network(ctx: Context, cluster: dict | None, net: dict, changes: dict) -> dict:
    return run(ctx, "update_cluster_network", _update_assignment, cluster, net, changes)
