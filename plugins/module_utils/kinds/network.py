"""Logical networks, their assignment to clusters, and vNIC profiles."""

from __future__ import annotations

from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import (
    Facts,
    Field,
    Kind,
    Wire,
    properties_from_wire,
    properties_to_wire,
)

CLUSTER_USAGES = ("display", "migration", "gluster", "default_route")


def _usages(value: Any) -> list[str]:
    """A list of usages, written plain or wrapped (``{"usage": [...]}``)."""
    if isinstance(value, dict):
        value = next((v for v in value.values() if isinstance(v, list)), [])
    return list(value or [])


def _vlan_encode(value: int | None) -> dict:
    """An empty ``vlan`` (``<vlan/>``) removes the tag, as in oVirt; a JSON null would be ignored or refused."""
    return {} if value is None else {"id": value}


NETWORK = Kind(
    name="network", collection="networks", order=50, scope=("data_center",), required=("data_center",),
    fields=(
        Field("data_center", ref="data_center", immutable=True), Field("description"), Field("comment"),
        Field("vlan_tag", "vlan", encode=_vlan_encode, decode=lambda v: v.get("id") if isinstance(v, dict) else None),
        Field("vm_network", "usages", encode=lambda v: ["vm"] if v else [], decode=lambda v: "vm" in _usages(v)),
        Field("mtu"),
    ),
)


def _assignment_facts(entity: Wire, lookup: Any) -> Facts:
    """An entry of ``/clusters/{id}/networks``; the reader adds ``_cluster``."""
    usages = _usages(entity.get("usages"))
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
    fields=(Field("required"), *(Field(u, f"_usage.{u}") for u in CLUSTER_USAGES)),
    extra_facts=_assignment_facts,
    create_body=_assignment_body,
    update_body=_assignment_body,
)


def _profile_facts(entity: Wire, lookup: Any) -> Facts:
    net = lookup.get("network", (entity.get("network") or {}).get("id")) or {}
    return {"data_center": lookup.name("data_center", (net.get("data_center") or {}).get("id"))}


VNIC_PROFILE = Kind(
    name="vnic_profile", label_word="vNIC profile", collection="vnicprofiles", order=60,
    scope=("network", "data_center"), required=("network",),
    fields=(
        Field("network", ref="network", immutable=True), Field("description"), Field("port_mirroring"),
        Field("migratable"), Field("pass_through", "pass_through.mode"),
        Field("custom_properties", encode=properties_to_wire, decode=properties_from_wire, unordered=True),
    ),
    extra_facts=_profile_facts,
)
