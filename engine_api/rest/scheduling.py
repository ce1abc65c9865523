"""The Scheduling API in the tree: ``/schedulingpolicyunits``, ``/schedulingpolicies`` with their ``filters``,
``weights`` and ``balances``, a cluster's ``affinitygroups``, ``/affinitylabels`` (and the labels of VMs and
hosts), and a VM's ``placement`` action (a vdc extension: where the VM would run and why, host by host, without
starting it)."""

from __future__ import annotations

from engine_api.commands import affinity, external_units, placement, scheduling
from engine_api.model.types import define
from engine_api.rest.present import TOP
from engine_api.rest.resources import Collection, ref_name


def _units() -> Collection:
    return Collection("schedulingpolicyunits", "scheduling_policy_unit",
                      load=lambda conn, parent, ident: next((u for u in scheduling.units(conn, parent)
                                                             if u["id"] == ident), None),
                      list_items=lambda conn, parent, params: scheduling.units(conn, parent),
                      remove=external_units.remove_unit)  # an external unit; a built-in one is a 409


def _items(name: str, type_: str, kind: str) -> Collection:
    list_items, load = scheduling.item_loaders(kind)
    add, remove = scheduling.item_commands(kind)
    return Collection(name, type_, load=load, list_items=list_items, add=add, remove=remove)


def _policies() -> Collection:
    return Collection(
        "schedulingpolicies", "scheduling_policy", load=scheduling.load_policy, list_items=scheduling.list_policies,
        add=scheduling.add_policy, update=scheduling.update_policy, remove=scheduling.remove_policy,
        subs={"filters": _items("filters", "filter", "filter"), "weights": _items("weights", "weight", "weight"),
              "balances": _items("balances", "balance", "load_balancing")},
    )


def _loaded(name: str, type_: str, loaders, commands) -> Collection:
    list_items, load = loaders
    add, remove = commands
    return Collection(name, type_, load=load, list_items=list_items, add=add, remove=remove)


def _groups() -> Collection:
    subs = {rel: _loaded(rel, type_, affinity.member_loaders(member), affinity.member_commands(member))
            for rel, type_, member in (("vms", "vm", "vms"), ("hosts", "host", "hosts"),
                                       ("vmlabels", "affinity_label", "vm_labels"),
                                       ("hostlabels", "affinity_label", "host_labels"))}
    return Collection("affinitygroups", "affinity_group", "affinity_group", parent_ref="cluster",
                      fields={"cluster": ref_name("cluster", "cluster")}, add=affinity.add_group,
                      update=affinity.update_group, remove=affinity.remove_group, decorate=affinity.decorate_group,
                      subs=subs)


def _labels() -> Collection:
    subs = {rel: _loaded(rel, kind, affinity.labelled_loaders(kind), affinity.labelled_commands(kind))
            for rel, kind in (("vms", "vm"), ("hosts", "host"))}
    return Collection("affinitylabels", "affinity_label", "affinity_label", add=affinity.add_label,
                      update=affinity.update_label, remove=affinity.remove_label, decorate=affinity.decorate_label,
                      subs=subs)


def register(root: dict[str, Collection]) -> None:
    """Add the collections to the tree (before :mod:`extras`, which leaves existing ones alone)."""
    # vdc's own types: the answer of the placement action.
    define("placement_weight", {"name": "str", "factor": "int", "weight": "float", "rank": "int"}, identified=False)
    define("placement_host", {"host": "host", "name": "str", "status": "str", "filter": "str", "reason": "str",
                              "selected": "bool", "score": "int", "weights": "[placement_weight]"}, identified=False)
    define("placement", {"vm": "vm", "host": "host", "scheduling_policy": "scheduling_policy", "migration": "bool",
                         "fault": "str", "hosts": "[placement_host]"}, identified=False)
    define("action", {"placement": "placement"}, identified=True)
    labels = _labels()
    for coll in (_units(), _policies(), labels):
        root[coll.name] = coll
        TOP[coll.type] = coll
    root["clusters"].subs["affinitygroups"] = _groups()
    for owner, kind in (("vms", "vm"), ("hosts", "host")):
        root[owner].subs["affinitylabels"] = _loaded("affinitylabels", "affinity_label",
                                                     affinity.assigned_loaders(kind), affinity.assigned_commands(kind))
    root["vms"].actions["placement"] = placement.explain
