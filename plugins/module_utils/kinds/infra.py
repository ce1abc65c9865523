"""Data centers, clusters and hosts."""

from __future__ import annotations

from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import (
    ActionPlan,
    Facts,
    Field,
    Kind,
    version_from_wire,
    version_to_wire,
)

_VERSION = {"path": "version", "encode": version_to_wire, "decode": version_from_wire}
_OVERCOMMIT = {"disabled": 100, "server": 150, "desktop": 200}


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
    name="data_center", label_word="data center", collection="datacenters", order=10,
    fields=(
        Field("description"), Field("comment"), Field("local"), Field("compatibility_version", **_VERSION),
        Field("quota_mode"),
    ),
    delete_params=_force,
)

CLUSTER = Kind(
    name="cluster", collection="clusters", order=20, required=("data_center",),
    fields=(
        Field("data_center", ref="data_center", immutable=True),
        Field("description"), Field("comment"),
        Field("cpu_type", "cpu.type"), Field("cpu_arch", "cpu.architecture"),
        Field("compatibility_version", **_VERSION),
        Field("switch_type"), Field("firewall_type"), Field("bios_type"),
        Field("ballooning", "ballooning_enabled"), Field("virt", "virt_service"), Field("gluster", "gluster_service"),
        Field("threads_as_cores"), Field("ha_reservation"), Field("trusted_service"),
        Field("ksm", "ksm.enabled"), Field("fence_enabled", "fencing_policy.enabled"),
        Field("resilience_policy", "error_handling.on_error"),
        Field("memory_policy", "memory_policy.over_commit.percent", encode=_OVERCOMMIT.get,
              decode=lambda p: {v: k for k, v in _OVERCOMMIT.items()}.get(p, str(p))),
        Field("migration_auto_converge", "migration.auto_converge"),
        Field("migration_compressed", "migration.compressed"),
        Field("migration_encrypted", "migration.encrypted"),
        # The management network is chosen once, by name inside the cluster's data center.
        Field("network", "management_network", encode=lambda v: {"name": v}, create_only=True),
    ),
)

HOST = Kind(
    name="host", collection="hosts", order=30, required=("address",),
    fields=(
        Field("cluster", ref="cluster"), Field("address"), Field("description"), Field("comment"),
        Field("password", "root_password", create_only=True),
        Field("public_key", "ssh.authentication_method", encode=lambda v: "publickey" if v else "password",
              decode=lambda v: v == "publickey"),
        Field("ssh_port", "ssh.port"), Field("spm_priority", "spm.priority"), Field("override_iptables"),
    ),
    extra_facts=lambda e, lookup: {"status": e.get("status")},
    created_states=("up", "maintenance"),
    failed_states=("install_failed", "non_operational", "non_responsive", "error", "kdumping"),
    actions=_host_actions, before_delete=_host_before_delete, delete_params=_force,
    create_params=_host_create_params,
)
