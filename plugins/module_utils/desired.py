"""Desired-state models turned into the planner's flat :class:`~.planner.Desired` entries.

A VM's ``disks`` and ``nics`` and a network's ``clusters`` become entries of their own kinds, scoped to
their owner, so one planner handles them; with ``exclusive`` the owner also claims undeclared children.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils import model as m
from ansible_collections.vdc.infra.plugins.module_utils.planner import Desired

CHILD_LISTS = frozenset({"disks", "nics", "clusters"})  # expanded into entries of their own


def _options(entity: m.Entity) -> dict[str, Any]:
    keys = entity.CONTROL - {"id", "state"} - CHILD_LISTS
    return {k: getattr(entity, k) for k in keys if k in type(entity).model_fields}


def _nic_values(values: dict[str, Any]) -> dict[str, Any]:
    """A NIC declared with a network but no profile uses the profile named after the network (as oVirt does)."""
    if values.get("network") and not values.get("profile"):
        values = {**values, "profile": values["network"]}
    return values


def expand(entity: m.Entity) -> list[Desired]:
    """The entity, then its declared children."""
    values = entity.compared()
    if isinstance(entity, m.Nic):
        values = _nic_values(values)
    owns: tuple[str, ...] = ("disk", "nic") if isinstance(entity, m.Vm) and entity.exclusive else ()
    out = [Desired(entity.KIND, values, entity.state, entity.id, _options(entity), owns)]
    if entity.state == "absent":
        return out
    if isinstance(entity, m.Vm):
        for disk in entity.disks or []:
            out.append(Desired("disk", {**m._plain(disk), "vm": entity.name}, id=disk.id))
        for nic in entity.nics or []:
            out.append(Desired("nic", _nic_values({**m._plain(nic), "vm": entity.name})))
    if isinstance(entity, m.Network):
        for c in entity.clusters or []:
            flags = {k: getattr(c, k) for k in c.model_fields_set - {"name", "assigned"}}
            out.append(Desired("cluster_network",
                               {"name": entity.name, "cluster": c.name, "data_center": entity.data_center, **flags},
                               "present" if c.assigned else "absent"))
    return out
