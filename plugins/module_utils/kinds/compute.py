"""Templates, VMs, their disks and NICs, and events."""

from __future__ import annotations

from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils import model as m
from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import ActionPlan, Facts, Kind, Wire
from ansible_collections.vdc.infra.plugins.module_utils.wire import plain_list

RUNNING = ("up", "powering_up", "wait_for_launch", "migrating", "reboot_in_progress", "restoring_state")


TEMPLATE = Kind(
    name="template", collection="templates", order=70, required=("vm",), fields=m.Template.wire_fields(),
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
    name="vm", label_word=m.Vm.word(), collection="vms", order=80, required=("cluster",),
    fields=m.Vm.wire_fields(),
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
    sd = disk.get("storage_domain") or (plain_list(sds)[0] if sds else None)
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
    sub_collection="diskattachments", required=("size", "storage_domain"), fields=m.Disk.wire_fields(),
    extra_facts=_disk_facts, create_body=_disk_create, update_body=_disk_update,
    created_states=("ok",), failed_states=("illegal",),
    delete_params=lambda o: {"detach_only": True} if o.get("detach_only") else {},
)


def _nic_facts(entity: Wire, lookup: Any) -> Facts:
    profile = lookup.get("vnic_profile", (entity.get("vnic_profile") or {}).get("id")) or {}
    return {"vm": lookup.name("vm", entity.get("_vm")),
            "network": lookup.name("network", (profile.get("network") or {}).get("id"))}


NIC = Kind(
    name="nic", label_word=m.Nic.word(), collection="nics", order=100, scope=("vm",), parent="vm", parent_kind="vm",
    sub_collection="nics", required=("vm",), fields=m.Nic.wire_fields(),
    extra_facts=_nic_facts,
)


def _event_facts(entity: Wire, lookup: Any) -> Facts:
    return {"name": f"{entity.get('origin')}/{entity.get('custom_id')}"}


EVENT = Kind(
    name="event", collection="events", order=110,
    required=("description", "origin", "custom_id"), fields=m.Event.wire_fields(),
    defaults={"severity": "normal"},
    extra_facts=_event_facts,
)
