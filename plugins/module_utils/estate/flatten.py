"""An estate document turned into the planner's flat entries, each one marked as owned by the estate.

Nesting becomes scope (a cluster inside ``dc1`` gets ``data_center: dc1``), each nested model becomes its
per-entity model, and :func:`~..desired.expand` does the rest exactly as for the per-entity modules.
``origins`` remembers where each entity was declared, so a planning error can point at its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils import model as m
from ansible_collections.vdc.infra.plugins.module_utils.desired import expand
from ansible_collections.vdc.infra.plugins.module_utils.errors import DesiredStateError
from ansible_collections.vdc.infra.plugins.module_utils.estate.document import Estate
from ansible_collections.vdc.infra.plugins.module_utils.estate.owner import marked
from ansible_collections.vdc.infra.plugins.module_utils.estate.source import Loc
from ansible_collections.vdc.infra.plugins.module_utils.kinds import KINDS
from ansible_collections.vdc.infra.plugins.module_utils.planner import Desired

# Words ``only`` accepts for kinds: section names and kind names; a VM brings its disks and NICs along.
ONLY_KINDS: dict[str, frozenset[str]] = {
    "data_centers": frozenset({"data_center"}), "clusters": frozenset({"cluster"}), "hosts": frozenset({"host"}),
    "storage_domains": frozenset({"storage_domain"}), "networks": frozenset({"network", "cluster_network"}),
    "templates": frozenset({"template"}),
    "vms": frozenset({"vm", "disk", "nic"}), "disks": frozenset({"disk"}), "nics": frozenset({"nic"}),
    "scheduling_policies": frozenset({"scheduling_policy"}), "affinity_groups": frozenset({"affinity_group"}),
    "affinity_labels": frozenset({"affinity_label"}), "tags": frozenset({"tag"}),
    "users": frozenset({"user"}), "groups": frozenset({"group"}),
    "roles": frozenset({"role"}), "permissions": frozenset({"permission"}), "vdsm_hooks": frozenset({"vdsm_hook"}),
    "engine_config": frozenset({"engine_config"}), "scheduling_policy_units": frozenset({"policy_unit"}),
    "policy_units": frozenset({"policy_unit"}), "ui_plugins": frozenset({"ui_plugin"}),
}
ONLY_KINDS.update({k.rstrip("s"): v for k, v in list(ONLY_KINDS.items())})
ONLY_KINDS["scheduling_policy"] = ONLY_KINDS["scheduling_policies"]


@dataclass
class Flat:
    """What an estate declares, flat: planner entries, their origins, and data centers to tear down."""

    desired: list[Desired] = field(default_factory=list)
    origins: dict[str, Loc] = field(default_factory=dict)  # entity label -> where it is declared
    teardown: list[str] = field(default_factory=list)  # data centers declared absent with recursive_cleanup


def _base(entity: m.Entity, cls: type[m.Entity], estate: str, **scope: Any) -> m.Entity:
    """The per-entity model of a nested estate entity, with its scope and the ownership marker."""
    data = {k: getattr(entity, k) for k in entity.model_fields_set if k in cls.model_fields}
    for key, value in scope.items():
        if key in data and data[key] != value:
            raise DesiredStateError(KINDS[cls.KIND].label(entity.name), [
                f"{key}: is '{data[key]}' but the entity is declared inside {key.replace('_', ' ')} '{value}'"])
        data[key] = value
    if "comment" in cls.model_fields and entity.state != "absent":
        data["comment"] = marked(data.get("comment"), estate)
    return cls.model_validate(data)


def flatten(doc: Estate, estate: str) -> Flat:
    """Every entity ``doc`` declares, parents first (the planner orders them anyway)."""
    flat = Flat()

    def add(entity: m.Entity, loc: Loc) -> None:
        entries = expand(entity)
        for entry in entries:
            flat.origins.setdefault(entry.label, loc)
        flat.desired.extend(entries)

    for i, dc in enumerate(doc.data_centers):
        here: Loc = ("data_centers", i)
        add(_base(dc, m.DataCenter, estate), here)
        if dc.state == "absent":
            if dc.recursive_cleanup and dc.name:
                flat.teardown.append(dc.name)
            continue
        for j, cluster in enumerate(dc.clusters):
            add(_base(cluster, m.Cluster, estate, data_center=dc.name), here + ("clusters", j))
            for k, host in enumerate(cluster.hosts):
                add(_base(host, m.Host, estate, cluster=cluster.name), here + ("clusters", j, "hosts", k))
        masters_first = sorted(enumerate(dc.storage_domains), key=lambda pair: not pair[1].master)
        for j, sd in masters_first:
            add(_base(sd, m.StorageDomain, estate, data_center=dc.name), here + ("storage_domains", j))
        for j, net in enumerate(dc.networks):
            add(_base(net, m.Network, estate, data_center=dc.name), here + ("networks", j))
    for i, template in enumerate(doc.templates):
        add(_base(template, m.Template, estate), ("templates", i))
    for i, vm in enumerate(doc.vms):
        add(_base(vm, m.Vm, estate), ("vms", i))
    for i, disk in enumerate(doc.disks):
        add(disk, ("disks", i))
    for i, policy in enumerate(doc.scheduling_policies):
        add(policy, ("scheduling_policies", i))
    for i, group in enumerate(doc.affinity_groups):
        add(group, ("affinity_groups", i))
    for i, label in enumerate(doc.affinity_labels):
        add(label, ("affinity_labels", i))
    for i, tag in enumerate(doc.tags):
        add(tag, ("tags", i))
    for section in ("users", "groups", "roles", "permissions", "vdsm_hooks", "engine_config",
                    "scheduling_policy_units", "ui_plugins"):
        for i, item in enumerate(getattr(doc, section)):
            add(item, (section, i))
    return flat


def selected(entry: Desired, only: list[str]) -> bool:
    """Whether ``only`` (kind words or entity names) picks ``entry``; an empty ``only`` picks everything."""
    if not only:
        return True
    kind = KINDS[entry.kind]
    parent = entry.values.get(kind.parent) if kind.parent else None
    return any(entry.kind in ONLY_KINDS.get(word, ()) or word in (entry.name, parent) for word in only)
