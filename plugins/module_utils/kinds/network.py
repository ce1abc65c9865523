"""Logical networks, their assignment to clusters, and vNIC profiles."""

from __future__ import annotations

from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils import model as m
from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import Facts, Kind, Wire
from ansible_collections.vdc.infra.plugins.module_utils.model import CLUSTER_USAGES
from ansible_collections.vdc.infra.plugins.module_utils.options import wire_fields
from ansible_collections.vdc.infra.plugins.module_utils.wire import plain_list

NETWORK = Kind(
    name="network", collection="networks", order=50, scope=("data_center",), required=("data_center",),
    fields=m.Network.wire_fields(),
)


def _assignment_facts(entity: Wire, lookup: Any) -> Facts:
    """An entry of ``/clusters/{id}/networks``; the reader adds ``_cluster``."""
    usages = plain_list(entity.get("usages"))
    facts: Facts = {u: u in usages for u in CLUSTER_USAGES}
    facts["cluster"] = lookup.name("cluster", entity.get("_cluster"))
    facts["data_center"] = lookup.name("data_center", (entity.get("data_center") or {}).get("id"))
    return facts


def _assignment_body(body: Wire, values: dict[str, Any], current: Facts | None = None) -> Wire:
    """Usages are one list on the wire but one flag per usage in user terms."""
    flags = body.pop("_usage", {})
    if flags:
        now = {u for u in CLUSTER_USAGES if (current or {}).get(u)}
        for usage, on in flags.items():
            (now.add if on else now.discard)(usage)
        body["usages"] = sorted(now | ({"vm"} if values.get("_vm") else set()))
    if "id" in values:
        body["id"] = values["id"]
    return body


CLUSTER_NETWORK = Kind(
    name="cluster_network", label_word="network assignment", collection="networks", order=55,
    scope=("cluster", "data_center"), parent="cluster", parent_kind="cluster", sub_collection="networks",
    fields=wire_fields(m.NetworkCluster),
    extra_facts=_assignment_facts,
    create_body=_assignment_body,
    update_body=_assignment_body,
)


def _profile_facts(entity: Wire, lookup: Any) -> Facts:
    net = lookup.get("network", (entity.get("network") or {}).get("id")) or {}
    return {"data_center": lookup.name("data_center", (net.get("data_center") or {}).get("id"))}


VNIC_PROFILE = Kind(
    name="vnic_profile", label_word=m.VnicProfile.word(), collection="vnicprofiles", order=60,
    scope=("network", "data_center"), required=("network",), fields=m.VnicProfile.wire_fields(),
    extra_facts=_profile_facts,
)
