"""Scheduling policies (with their filter, weight and balancer units), affinity groups and affinity labels.

A policy's units live in its ``filters``, ``weights`` and ``balances`` sub-collections: the state reader attaches
them in user terms (``_filters``, ``_weights``, ``_balancer``, and ``_units``, the ids they are removed by), a new
policy carries them in its create request, and an update is several requests (:func:`_policy_requests`).
"""

from __future__ import annotations

from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils import model as m
from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import Facts, Kind, Request, Wire
from ansible_collections.vdc.infra.plugins.module_utils.wire import plain_list

UNIT_KINDS = {"filter": "filters", "weight": "weights", "load_balancing": "balances"}


def _unit(name: str) -> dict[str, Any]:
    return {"scheduling_policy_unit": {"name": name}}


def _filter(item: dict[str, Any]) -> dict[str, Any]:
    return {**_unit(item["name"]), "position": item.get("position", 0)}


def _weight(item: dict[str, Any]) -> dict[str, Any]:
    return {**_unit(item["name"]), "factor": item.get("factor", 1)}


def _policy_create(body: Wire, values: dict[str, Any]) -> Wire:
    """A new policy carries its units, so that its properties are checked against them in the same request."""
    if values.get("filters"):
        body["filters"] = {"filter": [_filter(f) for f in values["filters"]]}
    if values.get("weights"):
        body["weight"] = {"weight": [_weight(w) for w in values["weights"]]}
    if values.get("balancer"):
        body["balances"] = {"balance": [_unit(values["balancer"])]}
    return body


def _policy_requests(path: str, ident: str, body: Wire, values: dict[str, Any], current: Facts) -> list[Request]:
    """Removed units first, then added ones (a balancer replaces the current one), then name, description and
    properties; properties are emptied first when units go, since the engine checks them against the units."""
    base = f"{path}/{ident}"
    units = current.get("_units") or {}
    removals: list[Request] = []
    additions: list[Request] = []
    for key, sub, kind, make in (("filters", "filters", "filter", _filter), ("weights", "weights", "weight", _weight)):
        if key not in values:
            continue
        want, have = values[key] or [], current.get(key) or []
        removals += [Request("remove", f"{base}/{sub}", units.get(f"{kind}:{item['name']}"))
                     for item in have if item not in want]
        additions += [Request("add", f"{base}/{sub}", body=make(item)) for item in want if item not in have]
    if "balancer" in values:
        additions.append(Request("add", f"{base}/balances", body=_unit(values["balancer"] or "None")))
    out: list[Request] = []
    if removals and "properties" in body:
        out.append(Request("update", path, ident, {"properties": {"property": []}}))
    out += removals + additions
    if body:
        out.append(Request("update", path, ident, body))
    return out


def _policy_facts(entity: Wire, lookup: Any) -> Facts:
    return {"_units": entity.get("_units") or {}, "locked": entity.get("locked")}


SCHEDULING_POLICY = Kind(
    name="scheduling_policy", label_word=m.SchedulingPolicy.word(), collection="schedulingpolicies", order=15,
    fields=m.SchedulingPolicy.wire_fields(), create_body=_policy_create, update_requests=_policy_requests,
    extra_facts=_policy_facts,
)


def _group_facts(entity: Wire, lookup: Any) -> Facts:
    """An entry of ``/clusters/{id}/affinitygroups``; the reader adds ``_cluster``."""
    return {"cluster": lookup.name("cluster", entity.get("_cluster"))}


AFFINITY_GROUP = Kind(
    name="affinity_group", label_word=m.AffinityGroup.word(), collection="affinitygroups", order=85,
    scope=("cluster",), parent="cluster", parent_kind="cluster", sub_collection="affinitygroups",
    required=("cluster",), fields=m.AffinityGroup.wire_fields(), extra_facts=_group_facts,
)


def _label_facts(entity: Wire, lookup: Any) -> Facts:
    """The ids of the label's members by name, which removing one takes."""
    members = {kind: {lookup.name(kind, r.get("id")): r.get("id") for r in plain_list(entity.get(f"{kind}s"))}
               for kind in ("vm", "host")}
    return {"_members": members}


def _label_requests(path: str, ident: str, body: Wire, values: dict[str, Any], current: Facts) -> list[Request]:
    """Name and description in the label; VMs and hosts one by one in its ``vms`` and ``hosts``."""
    base = f"{path}/{ident}"
    members = current.get("_members") or {}
    out: list[Request] = []
    own = {k: v for k, v in body.items() if k not in ("vms", "hosts")}
    if own:
        out.append(Request("update", path, ident, own))
    for kind in ("vm", "host"):
        key = f"{kind}s"
        if key not in values:
            continue
        want, have = set(values[key] or []), set(current.get(key) or [])
        out += [Request("remove", f"{base}/{key}", (members.get(kind) or {}).get(name)) for name in sorted(have - want)]
        out += [Request("add", f"{base}/{key}", body={"name": name}) for name in sorted(want - have)]
    return out


AFFINITY_LABEL = Kind(
    name="affinity_label", label_word=m.AffinityLabel.word(), collection="affinitylabels", order=86,
    fields=m.AffinityLabel.wire_fields(), update_requests=_label_requests, extra_facts=_label_facts,
)
