"""The variables of ``ovirt.ovirt.infra`` and ``ovirt.ovirt.vm_infra`` as a vdc desired-state document.

Pure functions (controller side; the ``vdc.infra.infra_estate`` and ``vdc.infra.vm_infra_estate`` filters
call them), so a user can port a play by changing the role's prefix:

- options vdc manages are passed on, under the names the estate schema uses;
- options that only steer how ovirt's roles run (timeouts, ``async`` polling) mean nothing to one
  ``apply`` and are dropped;
- options vdc cannot carry out yet are dropped with a warning when they come from a profile, and refused
  when the user set them, so nothing silently differs from what was asked.
"""

from __future__ import annotations

from typing import Any


class UnsupportedError(ValueError):
    """A variable or option vdc cannot carry out yet."""


# ovirt.ovirt.infra's cluster profiles (roles/infra/roles/clusters/vars/main.yml), as vdc options.
CLUSTER_PROFILES: dict[str, dict[str, Any]] = {
    "development": {"description": "Development cluster", "ballooning": True, "ksm": True, "memory_policy": "server"},
    "production": {"description": "Production cluster", "ballooning": False, "ksm": False,
                   "memory_policy": "disabled", "ha_reservation": True, "fence_enabled": True},
}
# Profile settings of ovirt's that vdc has no option for yet; they are left out of the profile above.
PROFILE_ONLY = ("host_reason", "vm_reason", "migration_policy", "scheduling_policy",
                "fence_skip_if_connectivity_broken", "fence_skip_if_sd_active")

_RUN_ONLY_HOST = ("timeout", "poll_interval", "reboot_after_installation", "reboot_after_upgrade")
_RUN_ONLY_VM = ("timeout", "wait", "wait_after_lease", "clone", "clone_permissions", "tag")
_UNSUPPORTED_INFRA = ("users", "user_groups", "permissions", "mac_pools", "external_providers", "host_networks")
_UNSUPPORTED_VM = ("cloud_init", "cloud_init_nics", "cloud_init_persist", "sysprep", "ssh_key", "root_password",
                   "domain", "template_version", "use_latest_template_version", "host", "placement_policy",
                   "cpu_shares", "cpu_mode", "io_threads", "ballooning_enabled", "high_availability_priority",
                   "lease", "kernel_params", "serial_console", "usb_support", "soundcard_enabled",
                   "boot_disk_name", "boot_disk_size", "boot_disk_interface", "boot_disk_use_vm_name_prefix")
_VM_RENAMES = {"cores": "cpu_cores", "sockets": "cpu_sockets"}
_CLUSTER_RENAMES = {"performance_preset": "memory_policy"}


def _refuse(where: str, keys: list[str]) -> None:
    if keys:
        raise UnsupportedError(f"{where}: {', '.join(sorted(keys))} not supported yet by vdc.infra")


def _given(value: Any) -> bool:
    return value not in (None, "", [], {})


# ---------------------------------------------------------------- infra


def _cluster(item: dict[str, Any], version: str | None, warnings: list[str]) -> dict[str, Any]:
    item = {_CLUSTER_RENAMES.get(k, k): v for k, v in item.items()}
    profile_name = item.pop("profile", None)
    if profile_name and profile_name not in CLUSTER_PROFILES:
        raise UnsupportedError(f"cluster {item.get('name')}: unknown profile '{profile_name}' "
                               f"(known: {', '.join(CLUSTER_PROFILES)})")
    if profile_name:
        warnings.append(f"cluster {item.get('name')}: profile {profile_name}'s {', '.join(PROFILE_ONLY)} "
                        "are not applied (not supported yet)")
    _refuse(f"cluster {item.get('name')}", [k for k in PROFILE_ONLY if _given(item.get(k))])
    out = {**CLUSTER_PROFILES.get(profile_name or "", {}), **item}
    out.setdefault("memory_policy", "disabled")  # as ovirt.ovirt.infra does
    if version and "compatibility_version" not in out:
        out["compatibility_version"] = version
    return out


def _host(item: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in item.items() if k not in _RUN_ONLY_HOST and k != "cluster"}
    _refuse(f"host {item.get('name')}", [k for k in ("hosted_engine", "power_management") if _given(out.get(k))])
    out.pop("hosted_engine", None)
    out.pop("power_management", None)
    return out


def _storage(name: str, item: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, **{k: v for k, v in (item or {}).items() if k != "host" or _given(v)}}


def _network(item: dict[str, Any]) -> dict[str, Any]:
    _refuse(f"network {item.get('name')}", [k for k in ("label", "external_provider") if _given(item.get(k))])
    out = {k: v for k, v in item.items() if k not in ("label", "external_provider", "data_center")}
    if out.get("vlan_tag") == -1:  # ovirt's way to clear a tag; vdc writes ""
        out["vlan_tag"] = ""
    return out


def infra_estate(variables: dict[str, Any], warnings: list[str] | None = None) -> dict[str, Any]:
    """``ovirt.ovirt.infra``'s variables as a desired state: one data center with everything inside it."""
    warnings = [] if warnings is None else warnings
    name = variables.get("data_center_name")
    if not name:
        raise UnsupportedError("data_center_name is required")
    dc: dict[str, Any] = {"name": name}
    if variables.get("data_center_state", "present") == "absent":
        dc["state"] = "absent"
        if variables.get("recursive_cleanup"):
            dc["recursive_cleanup"] = True
        return {"data_centers": [dc]}
    _refuse("infra", [k for k in _UNSUPPORTED_INFRA if _given(variables.get(k))])
    version = variables.get("compatibility_version")
    for key, target in (("data_center_description", "description"), ("data_center_local", "local"),
                        ("compatibility_version", "compatibility_version"), ("data_center_comment", "comment")):
        if variables.get(key) is not None:
            dc[target] = variables[key]
    clusters = [_cluster(dict(c), version, warnings) for c in variables.get("clusters") or []]
    by_name = {c["name"]: c for c in clusters}
    for host in variables.get("hosts") or []:
        cluster = host.get("cluster")
        if not cluster:
            raise UnsupportedError(f"host {host.get('name')}: cluster is required")
        if cluster not in by_name:  # an existing cluster: declared by name only
            by_name[cluster] = {"name": cluster}
            clusters.append(by_name[cluster])
        by_name[cluster].setdefault("hosts", []).append(_host(dict(host)))
    dc["clusters"] = clusters
    dc["storage_domains"] = [_storage(n, s) for n, s in (variables.get("storages") or {}).items()]
    dc["networks"] = [_network(dict(n)) for n in variables.get("logical_networks") or []]
    return {"data_centers": [dc]}


# ---------------------------------------------------------------- vm_infra


def _merge_named(profile_items: list[dict] | None, items: list[dict] | None) -> list[dict] | None:
    """Profile entries, then the VM's: an entry of the VM with the same name updates the profile's."""
    if profile_items is None and items is None:
        return None
    out = [dict(i) for i in profile_items or []]
    index = {i.get("name"): n for n, i in enumerate(out)}
    for item in items or []:
        if item.get("name") in index:
            out[index[item["name"]]].update(item)
        else:
            out.append(dict(item))
    return out


def _disk(vm: str, item: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in item.items() if k != "name_prefix"}
    if item.get("name_prefix", True) and item.get("name"):
        out["name"] = f"{vm}_{item['name']}"
    return out


def vm_infra_vm(item: dict[str, Any]) -> dict[str, Any]:
    """One entry of ``vms``: its profile merged under it (the item wins), in vdc's terms."""
    profile = dict(item.get("profile") or {})
    merged = {**profile, **{k: v for k, v in item.items() if k != "profile"}}
    merged = {_VM_RENAMES.get(k, k): v for k, v in merged.items()}
    name = merged.get("name")
    _refuse(f"VM {name}", [k for k in _UNSUPPORTED_VM if _given(item.get(k))])
    out = {k: v for k, v in merged.items() if k not in _UNSUPPORTED_VM and k not in _RUN_ONLY_VM}
    disks = _merge_named(profile.get("disks"), item.get("disks"))
    if disks is not None:
        out["disks"] = [_disk(name, d) for d in disks]
    nics = _merge_named(profile.get("nics"), item.get("nics"))
    if nics is not None:
        out["nics"] = nics
    if isinstance(out.get("custom_properties"), list):
        out["custom_properties"] = [{"name": p["name"], "value": p["value"]} for p in out["custom_properties"]]
    return out


def vm_infra_estate(vms: list[dict[str, Any]]) -> dict[str, Any]:
    """``ovirt.ovirt.vm_infra``'s ``vms`` as a desired state."""
    return {"vms": [vm_infra_vm(dict(v)) for v in vms or []]}


def unsupported_profile_keys(vms: list[dict[str, Any]]) -> list[str]:
    """Warnings for profile options vdc drops (a shared profile may carry what some VMs do not need)."""
    out = []
    for item in vms or []:
        profile = item.get("profile") or {}
        dropped = sorted(k for k in _UNSUPPORTED_VM if _given(profile.get(k)) and k not in item)
        if dropped:
            out.append(f"VM {item.get('name')}: profile options {', '.join(dropped)} are not applied "
                       "(not supported yet)")
    return out
