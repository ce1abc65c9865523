"""Disks (``/disks``) and their attachments to VMs and templates (``/{vms,templates}/{id}/diskattachments``).

A disk lives on one data storage domain, kept in its ``storage_domain`` reference and shown on the wire
as ``storage_domains: [{id}]``. ``alias`` and ``name`` are the same thing; ``alias`` wins.

An attachment row has its own id, but on the wire an attachment is known by its disk's id: the REST layer
loads them with :func:`load_attachment` and lists them through :func:`decorate_attachment`.
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import Connection

from engine_api.commands import images, volumes
from engine_api.commands.builtin import BLANK_ID
from engine_api.commands.common import deep_defaults, merge, positive
from engine_api.commands.runner import run
from engine_api.commands.tx import Tx, new_id
from engine_api.commands.vmbase import data_center_of, owner, owner_kind, refuse_hotplug, what_of
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict, NotFound
from engine_api.core.params import flag
from engine_api.store import repo
from engine_api.store.schema import col

READONLY = frozenset({
    "status", "image_id", "actual_size", "total_size", "storage_type", "qcow_version", "vm", "vms",
    "template", "storage_domain", "storage_domains", "disk_snapshots", "statistics", "permissions",
    "snapshot", "interface", "bootable", "read_only", "active", "logical_name", "uses_scsi_reservation",
    "disk_profile", "quota", "instance_type", "openstack_volume_type", "external_disk", "lun_storage",
    "initial_size",
})
IMMUTABLE = ("format", "sparse", "content_type")  # fixed once the image exists
ATTACHMENT_MEMBERS = ("interface", "bootable", "active", "read_only", "pass_discard", "uses_scsi_reservation")
BLOCK_STORAGE = {"iscsi", "fcp"}
MAX_SIZE = (1 << 63) - 1  # sizes are 64-bit on the wire
_ALIAS = re.compile(r"^[\w.\-+ ]+$")


# ---------------------------------------------------------------- disks


def _alias(value: object, field: str = "disk.alias") -> str:
    alias = str(value or "")
    if not alias:
        raise BadRequest(f"{field} is required", "Incomplete parameters")
    if len(alias) > 255:
        raise BadRequest(f"{field} is longer than 255 characters")
    if not _ALIAS.fullmatch(alias):
        raise BadRequest(f"{field} '{alias}' may contain only letters, digits, spaces, '_', '-', '+' and '.'")
    return alias


def _size(value: object) -> int:
    size = positive(value, "disk.provisioned_size")
    if size > MAX_SIZE:
        raise BadRequest(f"disk.provisioned_size must be less than 2^63 bytes, got {size}")
    return size


def _domain(tx: Tx, doc: dict) -> dict:
    refs = doc.get("storage_domains") or ([doc["storage_domain"]] if doc.get("storage_domain") else [])
    if not refs:
        raise BadRequest("disk.storage_domains is required", "Incomplete parameters")
    sd = tx.ref("storage_domain", refs[0], "disk.storage_domains")
    if sd.get("type") != "data":
        raise BadRequest(f"disk.storage_domains: storage domain {sd['name']} is of type {sd.get('type')}; "
                         "disks live on data domains")
    return sd


def create_disk(tx: Tx, doc: dict, default_alias: str | None = None, event: bool = True) -> dict:
    """A new image on a data domain, following the rules of ``POST /disks``."""
    alias = _alias(doc.get("alias") or doc.get("name") or default_alias)
    size = _size(doc.get("provisioned_size"))
    if doc.get("lun_storage") or doc.get("storage_type") not in (None, "image"):
        raise BadRequest("disk.storage_type: only image disks are supported by this engine")
    sd = _domain(tx, doc)
    fmt = doc.get("format") or "cow"
    sparse = True if doc.get("sparse") is None else doc["sparse"]
    if doc.get("shareable") and fmt != "raw":
        raise BadRequest("disk.shareable: a shareable disk must have format raw")
    if fmt == "raw" and sparse and (sd.get("storage") or {}).get("type") in BLOCK_STORAGE:
        raise BadRequest(f"disk.sparse: a raw disk on {sd['storage']['type']} storage cannot be sparse")
    ident = doc.get("id")
    if ident:
        try:
            ident = str(uuid.UUID(str(ident)))
        except ValueError:
            raise BadRequest(f"disk.id '{doc['id']}' is not a UUID") from None
        if tx.get("disk", ident):
            raise Conflict(f"Cannot add disk {alias}: a disk with id {ident} already exists.")
    initial = doc.get("initial_size")
    if initial is not None and not 0 < initial <= size:
        raise BadRequest(f"disk.initial_size must be between 1 and disk.provisioned_size ({size}), "
                         f"got {initial}")
    qcow = doc.get("qcow_version") or "qcow2_v3"
    new = {k: v for k, v in doc.items() if k not in READONLY and k not in ("id", "name", "alias")}
    new.update(id=ident or new_id(), name=alias, alias=alias, provisioned_size=size, format=fmt,
               sparse=sparse, storage_domain={"id": sd["id"]}, status="ok", storage_type="image",
               image_id=new_id())
    used = (initial or 0) if sparse else size
    new.update(actual_size=used, total_size=used)
    if initial is not None:
        new["initial_size"] = initial
    if fmt == "cow":
        new["qcow_version"] = qcow
    deep_defaults(new, {"description": "", "comment": "", "shareable": False,
                        "wipe_after_delete": sd.get("wipe_after_delete", False), "propagate_errors": False,
                        "content_type": "data", "backup": "none"})
    created = tx.insert("disk", new)
    if event:
        tx.event(2021, f"Disk {alias} was added on storage domain {sd['name']} by {tx.who}.",
                 storage_domain=sd["id"])
    return created


def attachments_of(tx: Tx, disk_id: str) -> list[dict]:
    return tx.find_by("disk_attachment", disk_id=disk_id)


def _update_disk(tx: Tx, current: dict, changes: dict) -> dict:
    current = tx.must("disk", current["id"])
    alias = current.get("alias") or current["name"]
    for key in IMMUTABLE:
        if changes.get(key) is not None and changes[key] != current.get(key):
            raise BadRequest(f"disk.{key} of disk {alias} cannot be changed")
    if changes.get("storage_domains") or changes.get("storage_domain"):
        sd = _domain(tx, changes)
        if sd["id"] != current["storage_domain"]["id"]:
            raise BadRequest(f"disk.storage_domains of disk {alias} cannot be changed; move the disk instead")
    doc = merge(current, changes, READONLY | set(IMMUTABLE) | {"name", "alias", "provisioned_size"})
    new_alias = changes.get("alias") or changes.get("name")
    if new_alias and new_alias != alias:
        doc["alias"] = doc["name"] = _alias(new_alias)
    size = changes.get("provisioned_size")
    if size is not None:
        _size(size)
        if size < current["provisioned_size"]:
            raise Conflict(f"disk.provisioned_size: cannot shrink disk {alias} from {current['provisioned_size']} "
                           f"to {size} bytes; disks can only grow.")
        if size > current["provisioned_size"]:
            volumes.plan_extend(tx, doc, current["provisioned_size"])  # locks it while its volume grows
        doc["provisioned_size"] = size
        if not doc.get("sparse"):
            doc["actual_size"] = doc["total_size"] = size
    if doc.get("shareable") and doc.get("format") != "raw":
        raise BadRequest("disk.shareable: a shareable disk must have format raw")
    if current.get("shareable") and not doc.get("shareable") and len(attachments_of(tx, current["id"])) > 1:
        raise Conflict(f"Cannot make disk {alias} not shareable: it is attached to more than one VM.")
    if doc != current:
        tx.update("disk", doc)
        tx.event(88, f"Disk {doc['alias']} was updated by {tx.who}.",
                 storage_domain=doc["storage_domain"]["id"])
    return doc


def _refuse_thin_users(tx: Tx, disk: dict) -> None:
    """A template's disk under thin disks of VMs stays where it is while they use it."""
    users = images.thin_users(tx, disk["id"])
    if users:
        raise Conflict(f"Cannot remove disk {disk.get('alias') or disk['name']}: thin disks rest on it "
                       f"({', '.join(sorted(u['name'] for u in users)[:5])}).")


def delete_disk(tx: Tx, disk: dict) -> None:
    """Remove a disk and its attachments; refused while a running VM uses it or a template owns it."""
    alias = disk.get("alias") or disk["name"]
    _refuse_thin_users(tx, disk)
    for att in attachments_of(tx, disk["id"]):
        if att.get("vm"):
            vm = tx.must("vm", att["vm"]["id"])
            if vm.get("status") != "down":
                raise Conflict(f"Cannot remove disk {alias}: it is attached to VM {vm['name']}, which is "
                               f"{vm.get('status')}.")
        if att.get("template"):
            template = tx.must("template", att["template"]["id"])
            raise Conflict(f"Cannot remove disk {alias}: it belongs to template {template['name']}.")
    tx.delete("disk", disk["id"])


def _remove_disk(tx: Tx, current: dict) -> None:
    current = tx.must("disk", current["id"])
    delete_disk(tx, current)
    tx.event(2014, f"Disk {current.get('alias') or current['name']} was removed by {tx.who}.",
             storage_domain=current["storage_domain"]["id"])


def remove_owned(tx: Tx, kind: str, owner_id: str) -> int:
    """Delete the disks attached to a VM or template that nothing else uses; returns how many."""
    removed = 0
    for att in tx.find_by("disk_attachment", **{f"{kind}_id": owner_id}):
        others = [a for a in attachments_of(tx, att["disk"]["id"]) if a["id"] != att["id"]]
        if not others:
            tx.delete("disk", att["disk"]["id"])
            removed += 1
    return removed


def decorate(conn: Connection, parent: dict | None, doc: dict) -> None:
    """For the REST layer: the storage domain as the ``storage_domains`` list clients read."""
    sd = doc.get("storage_domain")
    if isinstance(sd, dict) and sd.get("id"):
        doc["storage_domains"] = [{"id": sd["id"]}]


# ---------------------------------------------------------------- attachments


def _rows(tx: Tx, kind: str, owner_id: str) -> list[dict]:
    return tx.find_by("disk_attachment", **{f"{kind}_id": owner_id})


def _row(tx: Tx, kind: str, owner_doc: dict, disk_id: str) -> dict:
    for row in _rows(tx, kind, owner_doc["id"]):
        if row["disk"]["id"] == disk_id:
            return row
    raise NotFound(f"disk attachment '{disk_id}' of {what_of(kind, owner_doc)} does not exist")


def _wire(row: dict) -> dict:
    return dict(row, id=row["disk"]["id"])


def _check_domain(tx: Tx, disk: dict, kind: str, owner_doc: dict) -> None:
    """The disk's storage domain must be attached to the owner's data center."""
    dc = data_center_of(tx, (owner_doc.get("cluster") or {}).get("id"))
    if dc is None:
        return
    sd_id = disk["storage_domain"]["id"]
    rows = tx.find_by("attached_storage_domain", storage_domain_id=sd_id, data_center_id=dc["id"])
    if not rows:
        sd = tx.must("storage_domain", sd_id)
        raise Conflict(f"Cannot attach disk {disk['name']} to {what_of(kind, owner_doc)}: "
                       f"its storage domain {sd['name']} is not attached to data center {dc['name']}.")


def _check_boot(tx: Tx, kind: str, owner_doc: dict, disk_id: str) -> None:
    for row in _rows(tx, kind, owner_doc["id"]):
        if row.get("bootable") and row["disk"]["id"] != disk_id:
            other = tx.must("disk", row["disk"]["id"])
            raise Conflict(f"{what_of(kind, owner_doc)} already has a bootable disk ({other['name']}); "
                           "only one disk can be bootable.")


def _check_read_only(att: dict) -> None:
    if att.get("read_only") and att.get("interface") == "ide":
        raise BadRequest("disk_attachment.read_only: an ide disk cannot be read-only")


def _default_alias(tx: Tx, kind: str, owner_doc: dict) -> str:
    taken = {(tx.get("disk", r["disk"]["id"]) or {}).get("name") for r in _rows(tx, kind, owner_doc["id"])}
    n = 1
    while f"{owner_doc['name']}_Disk{n}" in taken:
        n += 1
    return f"{owner_doc['name']}_Disk{n}"


def create_attachment(tx: Tx, kind: str, owner_doc: dict, doc: dict) -> dict:
    disk_in = dict(doc.get("disk") or {})
    interface = doc.get("interface") or disk_in.get("interface")
    if not interface:
        raise BadRequest("disk_attachment.interface is required", "Incomplete parameters")
    if not disk_in:
        raise BadRequest("disk_attachment.disk is required", "Incomplete parameters")
    if owner_doc["id"] == BLANK_ID:
        raise Conflict("The Blank template cannot have disks.")
    bootable = doc.get("bootable")
    if bootable is None:
        bootable = bool(disk_in.get("bootable", False))
    what = what_of(kind, owner_doc)
    if disk_in.get("id"):
        disk = tx.get("disk", disk_in["id"])
        if disk is None:
            raise BadRequest(f"disk_attachment.disk: no disk with id '{disk_in['id']}'")
        others = attachments_of(tx, disk["id"])
        if any((a.get(kind) or {}).get("id") == owner_doc["id"] for a in others):
            raise Conflict(f"Disk {disk['name']} is already attached to {what}.")
        if others and not disk.get("shareable"):
            raise Conflict(f"Cannot attach disk {disk['name']}: it is attached elsewhere and is not "
                           "shareable.")
        if disk.get("status") != "ok":
            raise Conflict(f"Cannot attach disk {disk['name']}: it is {disk.get('status')}.")
    else:
        disk = create_disk(tx, disk_in, _default_alias(tx, kind, owner_doc), event=False)
    _check_domain(tx, disk, kind, owner_doc)
    if bootable:
        _check_boot(tx, kind, owner_doc, disk["id"])
    att = {kind: {"id": owner_doc["id"]}, "disk": {"id": disk["id"]}, "interface": interface,
           "bootable": bool(bootable), "active": doc.get("active") is not False,
           "read_only": bool(doc.get("read_only", False)),
           "pass_discard": bool(doc.get("pass_discard", False)),
           "uses_scsi_reservation": bool(doc.get("uses_scsi_reservation", False))}
    _check_read_only(att)
    if att["active"]:
        refuse_hotplug(kind, owner_doc, "plug a disk into")
    tx.insert("disk_attachment", att)
    verb = "attached to" if disk_in.get("id") else "created and attached to"
    tx.event(2016, f"Disk {disk['name']} was {verb} {what} by {tx.who}.", **{kind: owner_doc["id"]},
             storage_domain=disk["storage_domain"]["id"])
    return _wire(att)


def copy_all(tx: Tx, src_kind: str, src_id: str, dst_kind: str, dst_doc: dict, overrides: list[dict] | None,
             what: str, thin: bool = False, volumes: dict[str, str] | None = None, lock: bool = False) -> int:
    """Copy the disks of a VM or template as new disks attached to another one.

    ``overrides`` are the ``disk_attachments`` of the request: per source disk id, a new ``alias``,
    ``format``, ``sparse`` or ``storage_domains``. Templates take no shareable disks. With ``thin`` the new
    disks are qcow2 overlays on the source's volumes, in the source's storage domain. Each new disk names its
    source in ``_source``: the image job (``images.fill``) fills it.

    ``volumes`` (a snapshot's frozen volume per disk id) limits the copy to those disks and reads each from that
    point of its chain instead of its top; ``lock`` keeps the source disks locked while they are read.
    """
    rows = _rows(tx, src_kind, src_id)
    wanted: dict[str, dict] = {}
    for i, item in enumerate(overrides or []):
        ref = (item or {}).get("disk") or {}
        if not ref.get("id"):
            raise BadRequest(f"{what}.disk_attachments[{i}].disk.id is required", "Incomplete parameters")
        wanted[ref["id"]] = ref
    unknown = set(wanted) - {r["disk"]["id"] for r in rows}
    if unknown:
        raise BadRequest(f"{what}.disk_attachments: the source has no disk {', '.join(sorted(unknown))}")
    copies = 0
    for row in rows:
        disk = tx.must("disk", row["disk"]["id"])
        if (dst_kind == "template" and disk.get("shareable")) or (volumes is not None and disk["id"] not in volumes):
            continue
        if disk.get("status") != "ok":
            raise Conflict(f"Cannot copy disk {disk['name']}: it is {disk.get('status')}.")
        over = wanted.get(disk["id"], {})
        spec = {k: v for k, v in disk.items()
                if k not in ("id", "image_id", "storage_domain", "name", "alias") and not k.startswith("_")}
        spec.update(alias=over.get("alias") or over.get("name") or disk["name"],
                    storage_domains=over.get("storage_domains") or [disk["storage_domain"]])
        if disk.get("_format"):  # the disk's own format, not its snapshot overlay's: the copy is collapsed
            spec["format"] = disk["_format"]
        for key in ("format", "sparse", "description"):
            if over.get(key) is not None:
                spec[key] = over[key]
        if thin:
            wanted_sd = tx.ref("storage_domain", spec["storage_domains"][0], f"{what}.disk_attachments")
            if wanted_sd["id"] != disk["storage_domain"]["id"]:
                raise BadRequest(f"{what}.disk_attachments: a thin disk lives on the storage domain of its "
                                 f"template's disk {disk['name']}; use clone=true to copy it elsewhere")
            spec.update(format="cow", sparse=True, qcow_version="qcow2_v3")
        if spec.get("format") == "raw":
            spec.pop("qcow_version", None)
        spec["_source"] = {"disk": disk["id"], "thin": thin, "lock": lock}
        if volumes is not None:
            spec["_source"]["volume"] = volumes[disk["id"]]
        new = create_disk(tx, spec, event=False)
        _check_domain(tx, new, dst_kind, dst_doc)
        att = {k: v for k, v in row.items() if k not in ("id", "vm", "template", "disk")}
        att.update({dst_kind: {"id": dst_doc["id"]}, "disk": {"id": new["id"]}})
        tx.insert("disk_attachment", att)
        copies += 1
    return copies


def _add_attachment(tx: Tx, parent: dict | None, doc: dict) -> dict:
    kind, owner_doc = owner(tx, parent)
    return create_attachment(tx, kind, owner_doc, doc)


def _add_disk(tx: Tx, doc: dict) -> tuple[dict, volumes.Planned | None]:
    """A new disk and, in the same transaction, the job making its volume."""
    created = create_disk(tx, doc)
    return created, volumes.plan(tx, created["id"])


def _attach(tx: Tx, parent: dict | None, doc: dict) -> tuple[dict, volumes.Planned | None]:
    """An attachment and, when it brought a new disk, the job making that disk's volume."""
    created = _add_attachment(tx, parent, doc)
    new_disk = not (doc.get("disk") or {}).get("id")
    return created, volumes.plan(tx, created["disk"]["id"]) if new_disk else None


def _update_attachment(tx: Tx, parent: dict | None, current: dict, changes: dict) -> dict:
    kind, owner_doc = owner(tx, parent)
    row = _row(tx, kind, owner_doc, current["id"])
    new = dict(row)
    for key in ATTACHMENT_MEMBERS:
        if changes.get(key) is not None:
            new[key] = changes[key]
    _check_read_only(new)
    if new.get("bootable") and not row.get("bootable"):
        _check_boot(tx, kind, owner_doc, row["disk"]["id"])
    disk_changes = {k: v for k, v in (changes.get("disk") or {}).items() if k != "id"}
    if disk_changes:
        _update_disk(tx, tx.must("disk", row["disk"]["id"]), disk_changes)
    if new != row:
        hot = {k for k in ("interface", "active", "read_only") if new.get(k) != row.get(k)}
        if hot and (row.get("active") or new.get("active")):
            refuse_hotplug(kind, owner_doc, f"change {', '.join(sorted(hot))} of a disk of")
        tx.update("disk_attachment", new)
        disk = tx.must("disk", row["disk"]["id"])
        tx.event(2040, f"Attachment of disk {disk['name']} to {what_of(kind, owner_doc)} was updated by "
                       f"{tx.who}.", **{kind: owner_doc["id"]})
    return _wire(new)


def _remove_attachment(tx: Tx, parent: dict | None, current: dict, detach_only: bool) -> None:
    kind, owner_doc = owner(tx, parent)
    row = _row(tx, kind, owner_doc, current["id"])
    if row.get("active"):
        refuse_hotplug(kind, owner_doc, "unplug a disk from")
    disk = tx.must("disk", row["disk"]["id"])
    _refuse_thin_users(tx, disk)
    tx.delete("disk_attachment", row["id"])
    what = what_of(kind, owner_doc)
    if detach_only:
        tx.event(2018, f"Disk {disk['name']} was detached from {what} by {tx.who}.",
                 **{kind: owner_doc["id"]})
        return
    delete_disk(tx, disk)
    tx.event(2014, f"Disk {disk['name']} was detached from {what} and removed by {tx.who}.",
             **{kind: owner_doc["id"]}, storage_domain=disk["storage_domain"]["id"])


def load_attachment(conn: Connection, parent: dict | None, ident: str) -> dict | None:
    """For the REST layer: the attachment of disk ``ident`` to the VM or template ``parent``."""
    if parent is None:
        return None
    kind = owner_kind(conn, parent)
    rows = repo.find(conn, "disk_attachment", (col("disk_attachment", f"{kind}_id") == parent["id"])
                     & (col("disk_attachment", "disk_id") == ident))
    return _wire(rows[0]) if rows else None


def decorate_attachment(conn: Connection, parent: dict | None, doc: dict) -> None:
    """For the REST layer: an attachment is known by its disk's id."""
    disk = doc.get("disk")
    if isinstance(disk, dict) and disk.get("id"):
        doc["id"] = disk["id"]


# ---------------------------------------------------------------- REST faces


def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
    if parent is not None and not doc.get("storage_domains") and not doc.get("storage_domain"):
        doc["storage_domains"] = [{"id": parent["id"]}]  # POST /storagedomains/{id}/disks
    created, planned = run(ctx, "add_disk", _add_disk, doc)
    volumes.start(ctx, planned)
    return created


def update(ctx: Context, parent: dict | None, current: dict, changes: dict) -> dict:
    updated = run(ctx, "update_disk", _update_disk, current, changes)
    volumes.extend(ctx, updated["id"])
    return updated


def remove(ctx: Context, parent: dict | None, current: dict) -> None:
    run(ctx, "remove_disk", _remove_disk, current)
    volumes.discard(ctx, current)


def add_attachment(ctx: Context, parent: dict | None, doc: dict) -> dict:
    created, planned = run(ctx, "attach_disk", _attach, parent, doc)
    volumes.start(ctx, planned)
    return created


def update_attachment(ctx: Context, parent: dict | None, current: dict, changes: dict) -> dict:
    updated = run(ctx, "update_disk_attachment", _update_attachment, parent, current, changes)
    volumes.extend(ctx, updated["disk"]["id"])
    return updated


def remove_attachment(ctx: Context, parent: dict | None, current: dict) -> None:
    detach_only = flag(ctx.params, "detach_only", default=True)
    run(ctx, "detach_disk", _remove_attachment, parent, current, detach_only)
