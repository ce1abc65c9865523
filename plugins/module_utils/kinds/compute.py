"""Templates, VMs, their disks and NICs, and events."""

from __future__ import annotations

from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils import model as m
from ansible_collections.vdc.infra.plugins.module_utils.errors import PlanError
from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import ActionPlan, Facts, Kind, Request, Wire
from ansible_collections.vdc.infra.plugins.module_utils.wire import plain_list

RUNNING = ("up", "powering_up", "wait_for_launch", "migrating", "reboot_in_progress", "restoring_state")


def _sub_version(values: dict[str, Any]) -> bool:
    """Whether the values declare a version of a template other than its base (version 1)."""
    number = values.get("version_number")
    return number not in (None, 1) or (number is None and bool(values.get("version_name")))


def _template_create(body: Wire, values: dict[str, Any]) -> Wire:
    """A new version of a template is made with ``version.base_template``: the base template of that name."""
    if _sub_version(values):
        body["version"] = {**(body.get("version") or {}), "base_template": {"name": values.get("name")}}
    return body


TEMPLATE = Kind(
    name="template", collection="templates", order=70, required=("vm",), fields=m.Template.wire_fields(),
    scope=("version_number", "version_name"), create_body=_template_create,
    identity=lambda v: ("version_number",) if v.get("version_number") is not None else ("version_name",),
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


def _vm_snapshot(client: Any, values: dict[str, Any], find_id: Any) -> Wire:
    """A VM copied from a snapshot names it by id (``snapshots``): the snapshot of ``snapshot_vm`` whose
    description is ``snapshot_name``."""
    source, description = values.get("snapshot_vm"), values.get("snapshot_name")
    if not source:
        return {}
    label = f"VM '{values.get('name')}'"
    vm_id = find_id("vm", source, {})
    if not vm_id:
        raise PlanError(f"snapshot_vm: VM '{source}' not found", label)
    found = [s for s in client.list(f"vms/{vm_id}/snapshots") if s.get("description") == description
             and s.get("snapshot_type") == "regular"]
    if len(found) != 1:
        raise PlanError(f"snapshot_name: VM '{source}' has {len(found) or 'no'} snapshot(s) described "
                        f"'{description}'", label)
    return {"snapshots": {"snapshot": [{"id": found[0]["id"]}]}}


VM = Kind(
    name="vm", label_word=m.Vm.word(), collection="vms", order=80, required=("cluster",),
    fields=m.Vm.wire_fields(),
    defaults={"template": "Blank"},
    create_params=lambda o: {"clone": True} if o.get("clone") else {},
    create_lookup=_vm_snapshot,
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


def _disk_update_requests(path: str, ident: str, body: Wire, values: dict[str, Any], current: Facts) -> list[Request]:
    """A changed storage domain moves the disk (``POST /disks/{id}/move``); the other changes are one PUT."""
    disk = body.get("disk") if current.get("vm") else body
    target = (disk or {}).pop("storage_domain", None)
    if current.get("vm") and not body.get("disk"):
        body.pop("disk", None)
    requests = [Request("update", path, ident, body)] if body else []
    if target:
        if "size" in values:
            raise PlanError("a disk is grown and moved in separate runs (it is locked while either runs); "
                            "declare one of size and storage_domain changed at a time",
                            f"disk '{current.get('name')}'")
        requests.append(Request("add", f"disks/{ident}/move", body={"storage_domain": target}))
    return requests


def _disk_copy(values: dict[str, Any], find_id: Any) -> tuple[str, Wire] | None:
    """A disk declared with ``copy_from`` is made by copying that disk to its storage domain."""
    source = values.get("copy_from")
    if not source:
        return None
    src_id = find_id("disk", source, {})
    if not src_id:
        raise PlanError(f"copy_from: disk '{source}' not found, or several disks have that name",
                        f"disk '{values.get('name')}'")
    sd = values.get("storage_domain")
    sd_id = find_id("storage_domain", sd, {}) if sd else None
    disk: dict[str, Any] = {"alias": values.get("name"),
                            **{k: values[k] for k in ("format", "sparse", "description") if k in values}}
    return f"disks/{src_id}/copy", {"storage_domain": {"id": sd_id} if sd_id else {"name": sd}, "disk": disk}


DISK = Kind(
    name="disk", collection="disks", order=90, scope=("vm",), parent="vm", parent_kind="vm",
    sub_collection="diskattachments", required=("size", "storage_domain"), fields=m.Disk.wire_fields(),
    required_for=lambda v: ("storage_domain",) if v.get("copy_from") else ("size", "storage_domain"),
    update_requests=_disk_update_requests, update_waits=lambda v: "storage_domain" in v, create_via=_disk_copy,
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
