"""Clusters: add (with the data center's management network), update, remove."""

from __future__ import annotations

from engine_api.commands import catalog, networks, scheduling
from engine_api.commands.common import deep_defaults, merge, require_name
from engine_api.commands.datacenters import MANAGEMENT_NETWORK, check_version
from engine_api.commands.runner import run
from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict

READONLY = frozenset({"supported_versions", "networks", "permissions", "cpu_profiles", "affinity_groups",
                      "gluster_volumes", "gluster_hooks", "network_filters", "enabled_features",
                      "external_network_providers", "management_network"})

ARCH_OF = {t: arch for arch, types in catalog.CPU_TYPES.items() for t in types}

DEFAULTS = {
    "description": "",
    "ballooning_enabled": False, "virt_service": True, "gluster_service": False, "threads_as_cores": False,
    "ha_reservation": False, "trusted_service": False, "optional_reason": False,
    "maintenance_reason_required": False, "switch_type": "legacy", "firewall_type": "firewalld",
    "bios_type": "q35_ovmf", "log_max_memory_used_threshold": 95, "log_max_memory_used_threshold_type":
    "percentage",
    "memory_policy": {"over_commit": {"percent": 100}, "transparent_hugepages": {"enabled": True},
                      "ballooning": False},
    "ksm": {"enabled": True, "merge_across_nodes": True},
    "error_handling": {"on_error": "migrate"},
    "fencing_policy": {"enabled": True, "skip_if_sd_active": {"enabled": False},
                       "skip_if_connectivity_broken": {"enabled": False, "threshold": 50},
                       "skip_if_gluster_bricks_up": {"enabled": False},
                       "skip_if_gluster_quorum_not_met": {"enabled": False}},
    "migration": {"auto_converge": "inherit", "compressed": "inherit", "encrypted": "inherit",
                  "bandwidth": {"assignment_method": "auto"}},
    "required_rng_sources": ["urandom"],
    "fips_mode": "disabled", "upgrade_in_progress": False,
}


def _check_cpu(doc: dict) -> None:
    cpu = doc.get("cpu") or {}
    cpu_type = cpu.get("type")
    if cpu_type is not None and cpu_type not in ARCH_OF:
        raise BadRequest(f"cluster.cpu.type '{cpu_type}' is not a known CPU type "
                         f"(see /clusterlevels/4.7 for the list)")
    arch = cpu.get("architecture")
    if cpu_type and arch and arch != "undefined" and ARCH_OF[cpu_type] != arch:
        raise BadRequest(f"cluster.cpu.type '{cpu_type}' is not a {arch} CPU")
    if cpu_type:
        cpu["architecture"] = ARCH_OF[cpu_type]


def create(tx: Tx, doc: dict) -> dict:
    name = require_name(doc, "cluster")
    tx.unique_name("cluster", name, "Cluster")
    dc = tx.ref("data_center", doc.get("data_center"), "cluster.data_center")
    check_version(doc.get("version"), "cluster.version")
    _check_cpu(doc)
    catalog.cluster_refs(doc)
    scheduling.resolve_cluster_policy(tx, doc)
    mgmt_name = (doc.get("management_network") or {}).get("name", MANAGEMENT_NETWORK)
    mgmt_ref = doc.get("management_network") or {"name": mgmt_name}
    doc = {k: v for k, v in doc.items() if k not in READONLY}
    doc["data_center"] = {"id": dc["id"]}
    deep_defaults(doc, DEFAULTS)
    deep_defaults(doc, {"version": dict(dc["version"]), "cpu": {"architecture": "undefined"}})
    doc["supported_versions"] = [dict(doc["version"])]
    created = tx.insert("cluster", doc)
    mgmt = tx.ref("network", mgmt_ref, "cluster.management_network", data_center=dc["id"])
    networks.assign(tx, created, {"id": mgmt["id"], "required": True,
                                  "usages": ["management", "vm", "display", "migration", "default_route"]})
    tx.event(809, f"Cluster {name} was added by {tx.who}.", cluster=created["id"], data_center=dc["id"])
    return created


def _update(tx: Tx, current: dict, changes: dict) -> dict:
    current = tx.must("cluster", current["id"])
    if "data_center" in changes and changes["data_center"]:
        dc = tx.ref("data_center", changes["data_center"], "cluster.data_center")
        if dc["id"] != current["data_center"]["id"]:
            raise Conflict(f"Cannot move cluster {current['name']} to another data center.")
    doc = merge(current, changes, READONLY | {"data_center"})
    if doc["name"] != current["name"]:
        require_name(doc, "cluster")
        tx.unique_name("cluster", doc["name"], "Cluster", exclude=doc["id"])
    check_version(changes.get("version"), "cluster.version")
    _check_cpu(doc)
    catalog.cluster_refs(doc)
    scheduling.resolve_cluster_policy(tx, doc, current, changes)
    if doc != current:
        tx.update("cluster", doc)
        tx.event(811, f"Cluster {doc['name']} was updated by {tx.who}.", cluster=doc["id"])
    return doc


def _remove(tx: Tx, current: dict) -> None:
    current = tx.must("cluster", current["id"])
    for kind, what in (("host", "hosts"), ("vm", "VMs")):
        users = tx.find_by(kind, cluster_id=current["id"])
        if users:
            names = ", ".join(u["name"] for u in users[:5])
            raise Conflict(f"Cannot remove Cluster {current['name']}: it still has {what} ({names}).")
    for t in tx.find_by("template", cluster_id=current["id"]):
        t["cluster"] = None
        tx.update("template", t)
    tx.delete("cluster", current["id"])
    tx.event(813, f"Cluster {current['name']} was removed by {tx.who}.")


def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
    if parent is not None:
        doc["data_center"] = {"id": parent["id"]}
    return run(ctx, "add_cluster", create, doc)


def update(ctx: Context, parent: dict | None, current: dict, changes: dict) -> dict:
    return run(ctx, "update_cluster", _update, current, changes)


def remove(ctx: Context, parent: dict | None, current: dict) -> None:
    run(ctx, "remove_cluster", _remove, current)
