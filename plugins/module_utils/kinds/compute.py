"""Templates, VMs, their disks and NICs, and events."""

from __future__ import annotations

from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import (
    ActionPlan,
    Facts,
    Field,
    Kind,
    Wire,
    properties_from_wire,
    properties_to_wire,
)

RUNNING = ("up", "powering_up", "wait_for_launch", "migrating", "reboot_in_progress", "restoring_state")


def _plain_list(value: Any) -> list:
    """A list written plain or wrapped (``{"device": [...]}``)."""
    if isinstance(value, dict):
        value = next((v for v in value.values() if isinstance(v, list)), [])
    return list(value or [])


_HARDWARE = (
    Field("description"), Field("comment"), Field("memory"),
    Field("cpu_cores", "cpu.topology.cores"), Field("cpu_sockets", "cpu.topology.sockets"),
)

TEMPLATE = Kind(
    name="template", collection="templates", order=70, required=("vm",),
    fields=(Field("vm", ref="vm", create_only=True), Field("cluster", ref="cluster", create_only=True), *_HARDWARE),
    created_states=("ok",), failed_states=("illegal",),
)


def _vm_actions(desired: Any, facts: Facts | None) -> list[ActionPlan]:
    status = (facts or {}).get("status", "down")
    if desired.state == "running" and status not in RUNNING:
        return [ActionPlan("start", f"state running, the VM is {status}", "up")]
    if desired.state == "stopped" and status != "down":
        return [ActionPlan("stop", f"state stopped, the VM is {status}", "down")]
    if desired.state == "suspended" and status != "suspended":
        return [ActionPlan("suspend", f"state suspended, the VM is {status}", "suspended")]
    return []


def _vm_before_delete(facts: Facts) -> list[ActionPlan]:
    status = facts.get("status")
    return [] if status in (None, "down") else [ActionPlan("stop", f"a VM that is {status} cannot be removed", "down")]


VM = Kind(
    name="vm", label_word="VM", collection="vms", order=80, required=("cluster",),
    fields=(
        Field("cluster", ref="cluster"), Field("template", ref="template", create_only=True), *_HARDWARE,
        Field("memory_guaranteed", "memory_policy.guaranteed"), Field("memory_max", "memory_policy.max"),
        Field("cpu_threads", "cpu.topology.threads"), Field("type"), Field("operating_system", "os.type"),
        Field("high_availability", "high_availability.enabled"), Field("stateless"), Field("delete_protected"),
        Field("boot_devices", "os.boot.devices", decode=_plain_list),
        Field("bios_type", "bios.type"),
        Field("custom_properties", encode=properties_to_wire, decode=properties_from_wire, unordered=True),
    ),
    defaults={"template": "Blank"},
    extra_facts=lambda e, lookup: {"status": e.get("status")},
    created_states=("down",), failed_states=("unknown",),
    actions=_vm_actions, before_delete=_vm_before_delete,
    delete_params=lambda o: {"force": True} if o.get("force") else {},
)


def _disk_facts(entity: Wire, lookup: Any) -> Facts:
    """The reader shapes every disk like an attachment: ``{"id", "disk": {...}, "_vm": vm id or None}``."""
    disk = entity.get("disk") or {}
    sds = disk.get("storage_domains")
    sd = disk.get("storage_domain") or (_plain_list(sds)[0] if sds else None)
    return {"name": disk.get("alias") or disk.get("name"), "vm": lookup.name("vm", entity.get("_vm")),
            "storage_domain": lookup.name("storage_domain", (sd or {}).get("id")), "status": disk.get("status")}


def _disk_create(body: Wire, values: dict[str, Any]) -> Wire:
    disk = body.setdefault("disk", {})
    disk["alias"] = values.get("name")
    sd = disk.pop("storage_domain", None)
    if sd:
        disk["storage_domains"] = [sd]
    disk.setdefault("format", "cow")
    if values.get("vm"):
        body.setdefault("interface", "virtio")
        return body
    return disk  # POST /disks takes the disk itself


def _disk_update(body: Wire, values: dict[str, Any], current: Facts) -> Wire:
    return body if current.get("vm") else body.get("disk", {})


DISK = Kind(
    name="disk", collection="disks", order=90, scope=("vm",), parent="vm", parent_kind="vm",
    sub_collection="diskattachments", required=("size", "storage_domain"),
    fields=(
        Field("size", "disk.provisioned_size", grow_only=True),
        Field("storage_domain", "disk.storage_domain", ref="storage_domain", immutable=True),
        Field("format", "disk.format", immutable=True), Field("sparse", "disk.sparse", immutable=True),
        Field("shareable", "disk.shareable"), Field("description", "disk.description"),
        Field("interface"), Field("bootable"), Field("activate", "active"), Field("read_only"),
    ),
    extra_facts=_disk_facts, create_body=_disk_create, update_body=_disk_update,
    created_states=("ok",), failed_states=("illegal",),
    delete_params=lambda o: {"detach_only": True} if o.get("detach_only") else {},
)


def _nic_facts(entity: Wire, lookup: Any) -> Facts:
    profile = lookup.get("vnic_profile", (entity.get("vnic_profile") or {}).get("id")) or {}
    return {"vm": lookup.name("vm", entity.get("_vm")),
            "network": lookup.name("network", (profile.get("network") or {}).get("id"))}


NIC = Kind(
    name="nic", label_word="NIC", collection="nics", order=100, scope=("vm",), parent="vm", parent_kind="vm",
    sub_collection="nics", required=("vm",),
    fields=(
        Field("profile", "vnic_profile", ref="vnic_profile"), Field("network", send=False),
        Field("interface"), Field("mac_address", "mac.address"), Field("linked"), Field("plugged"),
    ),
    extra_facts=_nic_facts,
)


def _event_facts(entity: Wire, lookup: Any) -> Facts:
    return {"name": f"{entity.get('origin')}/{entity.get('custom_id')}"}


EVENT = Kind(
    name="event", collection="events", order=110,
    required=("description", "origin", "custom_id"),
    fields=(
        Field("description", create_only=True), Field("severity", create_only=True),
        Field("origin", create_only=True), Field("custom_id", create_only=True),
        *(Field(k, ref=k, create_only=True)
          for k in ("data_center", "cluster", "host", "storage_domain", "vm", "template")),
    ),
    defaults={"severity": "normal"},
    extra_facts=_event_facts,
)
