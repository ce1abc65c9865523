"""Where a VM runs: a pure function over a snapshot of hosts and the VMs on them (first fit for now)."""

from __future__ import annotations

from dataclasses import dataclass, field

ACTIVE = {"up", "powering_up", "wait_for_launch", "migrating", "paused", "reboot_in_progress", "powering_down",
          "restoring_state", "saving_state", "unknown", "not_responding"}


@dataclass
class Placement:
    host: dict | None
    reasons: dict[str, str] = field(default_factory=dict)  # host name -> why it was filtered out


def vcpus(vm: dict) -> int:
    t = (vm.get("cpu") or {}).get("topology") or {}
    return int(t.get("sockets") or 1) * int(t.get("cores") or 1) * int(t.get("threads") or 1)


def host_cpus(host: dict) -> int:
    t = (host.get("cpu") or {}).get("topology") or {}
    return int(t.get("sockets") or 0) * int(t.get("cores") or 0) * int(t.get("threads") or 1)


def first_fit(vm: dict, hosts: list[dict], vms: list[dict], exclude: set[str] | None = None) -> Placement:
    """The first up host with enough free memory and CPUs for ``vm``; ``vms`` are all VMs of the cluster."""
    load: dict[str, int] = {}
    for other in vms:
        host = (other.get("host") or {}).get("id")
        if host and other["id"] != vm["id"] and other.get("status") in ACTIVE:
            load[host] = load.get(host, 0) + int(other.get("memory") or 0)
    reasons: dict[str, str] = {}
    need = int(vm.get("memory") or 0)
    for host in sorted(hosts, key=lambda h: h["name"]):
        if exclude and host["id"] in exclude:
            reasons[host["name"]] = "excluded"
            continue
        if host.get("status") != "up":
            reasons[host["name"]] = f"status is {host.get('status')}"
            continue
        free = int(host.get("max_scheduling_memory") or host.get("memory") or 0) - load.get(host["id"], 0)
        if free < need:
            reasons[host["name"]] = f"not enough free memory ({free >> 20} MiB free, {need >> 20} MiB needed)"
            continue
        cpus = host_cpus(host)
        if cpus and vcpus(vm) > cpus:
            reasons[host["name"]] = f"not enough CPUs ({cpus} on the host, {vcpus(vm)} needed)"
            continue
        return Placement(host, reasons)
    return Placement(None, reasons)
