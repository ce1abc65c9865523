"""The engine's current state as a desired-state document (the inverse of :mod:`.flatten`). Pure.

Facts are already in user terms (names, not ids); this nests them (clusters and their hosts inside data
centers, disks and NICs inside VMs), writes sizes as IEC strings, leaves out what the engine decides
(ids, statuses) and what is empty, strips the ownership marker from comments, and leaves out what every
engine has (the ``Default`` data center and cluster, unless marked or holding something, and each data
center's ``ovirtmgmt`` network). Applying the result to the same engine changes nothing.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils import model as m
from ansible_collections.vdc.infra.plugins.module_utils.estate import document as d
from ansible_collections.vdc.infra.plugins.module_utils.estate.owner import owner, unmarked
from ansible_collections.vdc.infra.plugins.module_utils.kinds import KINDS
from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import Facts
from ansible_collections.vdc.infra.plugins.module_utils.planner import Current, is_empty
from ansible_collections.vdc.infra.plugins.module_utils.units import format_size
from pydantic import BaseModel

SIZES = frozenset({"memory", "memory_guaranteed", "memory_max", "size"})
BUILTIN = {"data_center": {"Default"}, "cluster": {"Default"}, "network": {"ovirtmgmt"}}
# Fields the nesting already says.
_NESTED = {"cluster": {"data_center"}, "host": {"cluster"}, "storage_domain": {"data_center"},
           "network": {"data_center"}, "disk": {"vm"}, "nic": {"vm"}}
# What the document accepts per kind: a field the engine reports but the schema lacks is left out.
_SCHEMA: dict[str, type[BaseModel]] = {
    "data_center": d.EstateDataCenter, "cluster": d.EstateCluster, "host": d.EstateHost,
    "storage_domain": d.EstateStorageDomain, "network": d.EstateNetwork, "vm": d.EstateVm,
    "disk": m.VmDisk, "nic": m.VmNic}
EXPORTED_KINDS = ("data_center", "cluster", "host", "storage_domain", "network", "cluster_network", "vm", "disk",
                  "nic")


def entry(kind: str, facts: Facts) -> dict[str, Any]:
    """One entity in the document's terms: name first, then its fields in the kind's order."""
    out: dict[str, Any] = {"name": facts.get("name")}
    accepted = _SCHEMA[kind].model_fields
    default_policy = kind == "cluster" and facts.get("scheduling_policy") == "none"
    for f in KINDS[kind].fields:
        if default_policy and f.name.startswith("scheduling_policy"):
            continue  # the engine's default: what every cluster has unless told otherwise
        value = facts.get(f.name)
        if f.name in _NESTED.get(kind, ()) or f.create_only or f.name not in accepted:
            continue
        if f.name == "comment":
            value = unmarked(value)
        if is_empty(value):
            continue
        out[f.name] = format_size(value) if f.name in SIZES and isinstance(value, int) else value
    if kind == "nic" and out.get("profile") == out.get("network"):
        out.pop("profile", None)
    return out


def _wanted(kind: str, facts: Facts, estate: str | None, children: bool = False) -> bool:
    marker = owner(facts.get("comment"))
    if estate is not None:
        return marker == estate or children
    return marker is not None or children or facts.get("name") not in BUILTIN.get(kind, set())


def _of(current: Current, kind: str, **where: Any) -> list[Facts]:
    items = [f for f in current.get(kind, []) if all(f.get(k) == v for k, v in where.items())]
    return sorted(items, key=lambda f: str(f.get("name")))


def _network(current: Current, facts: Facts) -> dict[str, Any]:
    out = entry("network", facts)
    assigned = _of(current, "cluster_network", name=facts.get("name"), data_center=facts.get("data_center"))
    clusters: list[Any] = []
    for a in assigned:
        flags = {u: True for u in ("required", "display", "migration", "gluster", "default_route") if a.get(u)}
        clusters.append({"name": a.get("cluster"), **flags} if flags else a.get("cluster"))
    if clusters:
        out["clusters"] = clusters
    return out


_VM_STATES = {"up": "running", "down": "stopped", "suspended": "suspended"}


def _vm(current: Current, facts: Facts) -> dict[str, Any]:
    out = entry("vm", facts)
    if facts.get("status") in _VM_STATES:
        out["state"] = _VM_STATES[facts["status"]]
    disks = [entry("disk", d) for d in _of(current, "disk", vm=facts.get("name"))]
    nics = [entry("nic", n) for n in _of(current, "nic", vm=facts.get("name"))]
    if disks:
        out["disks"] = disks
    if nics:
        out["nics"] = nics
    return out


def document(current: Current, estate: str | None = None) -> dict[str, Any]:
    """``{estate?, data_centers, vms}`` for what exists (only what ``estate`` owns, when given)."""
    vms = [_vm(current, v) for v in _of(current, "vm") if _wanted("vm", v, estate)]
    used_clusters = {v.get("cluster") for v in vms}
    data_centers = []
    for dc in _of(current, "data_center"):
        name = dc.get("name")
        clusters = []
        for c in _of(current, "cluster", data_center=name):
            hosts = [entry("host", h) for h in _of(current, "host", cluster=c.get("name"))
                     if _wanted("host", h, estate)]
            if _wanted("cluster", c, estate, bool(hosts) or c.get("name") in used_clusters):
                clusters.append({**entry("cluster", c), **({"hosts": hosts} if hosts else {})})
        storage = [entry("storage_domain", s) for s in _of(current, "storage_domain", data_center=name)
                   if _wanted("storage_domain", s, estate)]
        networks = [_network(current, n) for n in _of(current, "network", data_center=name)
                    if _wanted("network", n, estate) and n.get("name") not in BUILTIN["network"]]
        if not _wanted("data_center", dc, estate, bool(clusters or storage or networks)):
            continue
        item = entry("data_center", dc)
        for key, values in (("clusters", clusters), ("storage_domains", storage), ("networks", networks)):
            if values:
                item[key] = values
        data_centers.append(item)
    doc: dict[str, Any] = {"estate": estate} if estate else {}
    doc["data_centers"] = data_centers
    doc["vms"] = vms
    return doc
