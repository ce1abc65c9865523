"""Image work in the tree: a VM's snapshots (``/vms/{id}/snapshots``), its snapshot actions, the ``copy``
and ``move`` actions of disks, a VM's export to an OVA and ``/externalvmimports`` of one."""

from __future__ import annotations

from sqlalchemy import Connection

from engine_api.commands import disk_moves, ova, snapshots, vm_clones
from engine_api.rest.measured import derived_id
from engine_api.rest.resources import Collection
from engine_api.store import repo


def _items(conn: Connection, parent: dict | None) -> list[dict]:
    if parent is None:
        return []
    vm = repo.get(conn, "vm", parent["id"]) or parent  # after a change, the parent read before it is old
    return snapshots.listed(vm, derived_id(vm["id"], snapshots.ACTIVE_ID_SUFFIX))


def collection() -> Collection:
    def list_items(conn: Connection, parent: dict | None, params: dict[str, str]) -> list[dict]:
        return _items(conn, parent)

    def load(conn: Connection, parent: dict | None, ident: str) -> dict | None:
        return next((s for s in _items(conn, parent) if s["id"] == ident), None)

    return Collection("snapshots", "snapshot", load=load, list_items=list_items, add=snapshots.add,
                      remove=snapshots.remove, actions={"restore": snapshots.restore})


def register(root: dict[str, Collection]) -> None:
    vms = root["vms"]
    vms.subs["snapshots"] = collection()
    vms.actions.update(previewsnapshot=snapshots.preview, commitsnapshot=snapshots.commit,
                       undosnapshot=snapshots.undo)
    root["disks"].actions.update(copy=disk_moves.copy, move=disk_moves.move)
    vms.actions["export"] = ova.export  # to a path on a host, as an OVA
    vms.actions["clone"] = vm_clones.clone
    root["externalvmimports"] = Collection(
        "externalvmimports", "external_vm_import", add=ova.import_ova,
        load=lambda conn, parent, ident: ova.load_import(repo.get(conn, "vm", ident)),
        list_items=lambda conn, parent, params: [])
