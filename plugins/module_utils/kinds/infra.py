"""Data centers, clusters and hosts."""

from __future__ import annotations

from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils import model as m
from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import ActionPlan, Facts, Kind

# Host states the engine removes a host from; from any other (up, connecting...) it must go to maintenance first.
_HOST_REMOVABLE = frozenset({"maintenance", "install_failed", "non_operational", "non_responsive", "down",
                             "installing"})


def _force(options: dict[str, Any]) -> dict[str, Any]:
    return {"force": True} if options.get("force") else {}


def _host_before_delete(facts: Facts) -> list[ActionPlan]:
    status = facts.get("status")
    if status is None or status in _HOST_REMOVABLE:
        return []
    return [ActionPlan("deactivate", f"a host that is {status} must be in maintenance to be removed", "maintenance")]


def _host_actions(desired: Any, facts: Facts | None) -> list[ActionPlan]:
    """``activate`` (default true, as ovirt_host): a host in maintenance is activated; false leaves it there."""
    if facts is None or facts.get("status") != "maintenance" or not desired.options.get("activate", True):
        return []
    return [ActionPlan("activate", "activate is true, it is in maintenance", "up")]


def _host_create_params(options: dict[str, Any]) -> dict[str, Any]:
    """``POST /hosts?activate=false`` leaves a new host in maintenance once installed."""
    return {"activate": False} if options.get("activate", True) is False else {}


DATA_CENTER = Kind(
    name="data_center", label_word=m.DataCenter.word(), collection="datacenters", order=10,
    fields=m.DataCenter.wire_fields(), delete_params=_force,
)

CLUSTER = Kind(
    name="cluster", collection="clusters", order=20, required=("data_center",), fields=m.Cluster.wire_fields(),
)

HOST = Kind(
    name="host", collection="hosts", order=30, required=("address",), fields=m.Host.wire_fields(),
    extra_facts=lambda e, lookup: {"status": e.get("status")},
    created_states=("up", "maintenance"),
    failed_states=("install_failed", "non_operational", "non_responsive", "error", "kdumping"),
    actions=_host_actions, before_delete=_host_before_delete, delete_params=_force,
    create_params=_host_create_params,
)
