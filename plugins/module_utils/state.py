"""Reading current state in bulk: one list call per collection (with ``follow``), never one GET per entity.

The result is a :class:`Lookup` of wire entities (for names and ids) and the facts of each kind in user terms.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils.client import EngineClient, items
from ansible_collections.vdc.infra.plugins.module_utils.kinds import KINDS
from ansible_collections.vdc.infra.plugins.module_utils.kinds.aaa import OBJECT_COLLECTIONS, OBJECT_MEMBERS
from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import Facts, Wire, to_facts
from ansible_collections.vdc.infra.plugins.module_utils.kinds.extensions import (
    CONFIG,
    HOOKS,
    PLUGINS,
    UI_PLUGINS,
    config_entries,
    ui_plugins,
)
from ansible_collections.vdc.infra.plugins.module_utils.kinds.tags import attach
from ansible_collections.vdc.infra.plugins.module_utils.planner import Current

# Kinds whose facts need other kinds' entities (for names), beyond their reference fields.
_NEEDS = {
    "storage_domain": {"data_center"},
    "cluster_network": {"cluster", "data_center", "network"},
    "vnic_profile": {"network", "data_center"},
    "disk": {"vm", "storage_domain"},
    "nic": {"vm", "vnic_profile", "network"},
    "vm": {"template"},
    "affinity_group": {"cluster"},
    "permission": {"user", "group", "role", "data_center", "cluster", "host", "storage_domain", "network",
                   "vnic_profile", "template", "vm", "disk"},
}


class Lookup:
    """Wire entities by kind and id."""

    def __init__(self) -> None:
        self.entities: dict[str, dict[str, Wire]] = {}

    def put(self, kind: str, docs: Iterable[Wire]) -> None:
        bucket = self.entities.setdefault(kind, {})
        for doc in docs:
            if doc.get("id"):
                bucket[doc["id"]] = doc

    def get(self, kind: str, ident: str | None) -> Wire | None:
        return self.entities.get(kind, {}).get(ident) if ident else None

    def name(self, kind: str, ident: str | None) -> str | None:
        doc = self.get(kind, ident)
        if doc is None:
            return None
        return doc.get("name") or doc.get("alias") or ((doc.get("disk") or {}).get("alias"))


def needed(kinds: Iterable[str]) -> set[str]:
    """``kinds`` plus every kind they refer to, transitively."""
    out: set[str] = set()
    todo = list(kinds)
    while todo:
        k = todo.pop()
        if k in out:
            continue
        out.add(k)
        kind = KINDS[k]
        todo += [f.ref for f in kind.fields if f.ref] + list(_NEEDS.get(k, ()))
        if kind.parent_kind:
            todo.append(kind.parent_kind)
    return out


def _sub_list(doc: Wire, member: str) -> list[Wire]:
    value = doc.get(member)
    return items(value) if isinstance(value, dict) else list(value or [])


def read(client: EngineClient, kinds: Iterable[str]) -> tuple[Current, Lookup]:
    """Current facts for ``kinds`` (and what they need), with the lookup they were built from."""
    want = needed(kinds)
    lookup = Lookup()
    simple = {"host": "hosts", "network": "networks", "vnic_profile": "vnicprofiles", "template": "templates",
              "storage_domain": "storagedomains", "event": "events", "user": "users", "group": "groups"}
    for kind, path in simple.items():
        if kind in want:
            lookup.put(kind, client.list(path))
    if "data_center" in want:
        follow = ["storage_domains"] if "storage_domain" in want else None
        dcs = client.list("datacenters", follow=follow)
        lookup.put("data_center", dcs)
        if follow:
            _attachments(lookup, dcs)
    if "cluster" in want:
        follow = ["networks"] if "cluster_network" in want else None
        clusters = client.list("clusters", follow=follow)
        lookup.put("cluster", clusters)
        if follow:
            lookup.put("cluster_network", [{**n, "_cluster": c["id"], "id": f"{c['id']}/{n['id']}", "_network": n["id"]}
                                           for c in clusters for n in _sub_list(c, "networks")])
    if "scheduling_policy" in want:
        lookup.put("scheduling_policy", _policies(client))
    if "affinity_group" in want:
        lookup.put("affinity_group", [{**g, "_cluster": c["id"]} for c in lookup.entities.get("cluster", {}).values()
                                      for g in client.list(f"clusters/{c['id']}/affinitygroups")])
    if "affinity_label" in want:
        lookup.put("affinity_label", client.list("affinitylabels", follow=["vms", "hosts"]))
    if want & {"vm", "disk", "nic"}:
        follow = [f for f, k in (("disk_attachments.disk", "disk"), ("nics", "nic")) if k in want]
        vms = client.list("vms", follow=follow or None)
        lookup.put("vm", vms)
        _vm_children(client, lookup, vms, want)
    if "tag" in want:
        carriers = {"vm": client.list("vms", follow=["tags"]), "host": client.list("hosts", follow=["tags"])}
        lookup.put("tag", attach(client.list("tags"), carriers))
    if "role" in want:
        lookup.put("role", _roles(client))
    if "vdsm_hook" in want:
        lookup.put("vdsm_hook", client.list(HOOKS))
    if "engine_config" in want:
        lookup.put("engine_config", config_entries(client.list(CONFIG)))
    if "policy_unit" in want:
        lookup.put("policy_unit", client.list(PLUGINS))
    if "ui_plugin" in want:
        lookup.put("ui_plugin", ui_plugins(client.list(UI_PLUGINS)))
    if "permission" in want:
        lookup.put("permission", _permissions(client, lookup))
    current: Current = {}
    for kind in want:
        current[kind] = [_facts(kind, doc, lookup) for doc in lookup.entities.get(kind, {}).values()]
    return current, lookup


def _policies(client: EngineClient) -> list[Wire]:
    """Every policy; a custom one with its units in user terms (built-in ones are locked: never changed)."""
    names = {u["id"]: (u.get("type"), u.get("name")) for u in client.list("schedulingpolicyunits")}
    policies = client.list("schedulingpolicies")
    for p in policies:
        if p.get("locked"):
            continue
        base = f"schedulingpolicies/{p['id']}"
        units: dict[str, str] = {}
        filters, weights = [], []
        for item in client.list(f"{base}/filters"):
            name = names.get(item["id"], ("filter", item["id"]))[1]
            units[f"filter:{name}"] = item["id"]
            filters.append({"name": name, "position": int(item.get("position") or 0)})
        for item in client.list(f"{base}/weights"):
            name = names.get(item["id"], ("weight", item["id"]))[1]
            units[f"weight:{name}"] = item["id"]
            weights.append({"factor": int(item.get("factor") or 0), "name": name})
        balances = client.list(f"{base}/balances")
        p["_filters"] = sorted(filters, key=lambda f: f["name"])
        p["_weights"] = sorted(weights, key=lambda w: w["name"])
        p["_balancer"] = names.get(balances[0]["id"], ("", balances[0]["id"]))[1] if balances else "None"
        p["_units"] = units
    return policies


def _roles(client: EngineClient) -> list[Wire]:
    """Every role; a mutable one with its permits' names and ids (built-in roles are read-only)."""
    roles = client.list("roles")
    for role in roles:
        if role.get("mutable") is False:
            continue
        permits = client.list(f"roles/{role['id']}/permits")
        role["_permits"] = sorted(str(p.get("name")) for p in permits)
        role["_permit_ids"] = {str(p.get("name")): p["id"] for p in permits}
    return roles


def _permissions(client: EngineClient, lookup: Lookup) -> list[Wire]:
    """The permissions of every user and group the caller sees, each with the object it is on (``_object_type``,
    ``_object_id``). The engine names the object of a permission except on System, a network or a vNIC
    profile: those are told apart by the lists of System's and, only when some remain, networks' and profiles'."""
    found: dict[str, Wire] = {}
    for kind, path in (("user", "users"), ("group", "groups")):
        for ident in lookup.entities.get(kind, {}):
            for p in client.list(f"{path}/{ident}/permissions"):
                member = next((k for k in OBJECT_MEMBERS if isinstance(p.get(k), dict)), None)
                if member:
                    p["_object_type"], p["_object_id"] = member, p[member].get("id")
                found.setdefault(p["id"], p)
    unplaced = {i for i, p in found.items() if "_object_type" not in p}
    if unplaced:
        for p in client.list("permissions"):
            if p["id"] in unplaced:
                found[p["id"]]["_object_type"] = "system"
                unplaced.discard(p["id"])
    for kind in ("network", "vnic_profile"):  # a network's permissions also show in its profiles' lists
        for ident in lookup.entities.get(kind, {}) if unplaced else ():
            for p in client.list(f"{OBJECT_COLLECTIONS[kind]}/{ident}/permissions"):
                if p["id"] in unplaced:
                    found[p["id"]].update(_object_type=kind, _object_id=ident)
                    unplaced.discard(p["id"])
    return list(found.values())


def _facts(kind: str, doc: Wire, lookup: Lookup) -> Facts:
    facts = to_facts(KINDS[kind], doc, lookup)
    if kind == "cluster_network":
        facts["id"] = doc["_network"]  # an assignment is known by its network's id under the cluster
    return facts


def _attachments(lookup: Lookup, dcs: list[Wire]) -> None:
    for dc in dcs:
        for sd in _sub_list(dc, "storage_domains"):
            doc = lookup.get("storage_domain", sd.get("id"))
            if doc is not None:
                doc.setdefault("_attachments", []).append({"data_center": dc["id"], "status": sd.get("status")})


def _vm_children(client: EngineClient, lookup: Lookup, vms: list[Wire], want: set[str]) -> None:
    if "disk" in want:
        disks = [{**att, "_vm": vm["id"]} for vm in vms for att in _sub_list(vm, "disk_attachments")]
        # floating: attached to no VM and no template (oVirt's search; the attached ones came with their VMs)
        floating = [{"id": d["id"], "disk": d, "_vm": None} for d in client.search("disks", "number_of_vms=0")]
        lookup.put("disk", disks + floating)
    if "nic" in want:
        lookup.put("nic", [{**n, "_vm": vm["id"]} for vm in vms for n in _sub_list(vm, "nics")])


def entity(client: EngineClient, kind: str, ident: str, parent_path: str | None = None) -> dict[str, Any] | None:
    """One entity as the ``*_info`` modules return it (None when it does not exist)."""
    k = KINDS[kind]
    if parent_path:
        return client.get(parent_path, ident)
    follow = ["disk_attachments.disk", "nics"] if kind == "vm" else None
    return client.get(k.collection, ident, follow=follow)
