"""``/users``, ``/groups``, ``/roles`` (with their ``permits``), ``/permissions``, ``/domains`` (with the
internal domain's ``users`` and ``groups``) and the ``permissions`` of data centers, clusters, hosts, storage
domains, networks, vNIC profiles, templates, VMs and disks."""

from __future__ import annotations

from sqlalchemy import Connection, select

from engine_api.auth.permits import INTERNAL_AUTHZ, PERMITS, SYSTEM_ID
from engine_api.commands import aaa
from engine_api.core.context import Context
from engine_api.rest import access
from engine_api.rest.present import TOP
from engine_api.rest.resources import Collection, SearchField, column, doc_field
from engine_api.store import repo
from engine_api.store.schema import KINDS, credentials, group_members

DOMAIN = {"id": aaa.DOMAIN_ID, "name": INTERNAL_AUTHZ}


def _decorate_user(conn: Connection, parent: dict | None, doc: dict) -> None:
    doc["user_name"] = f"{doc['name']}@{INTERNAL_AUTHZ}"
    doc.setdefault("principal", doc["name"])
    doc["namespace"] = doc.get("namespace") or "*"
    doc["domain"] = dict(DOMAIN)
    doc["domain_entry_id"] = doc["id"].encode().hex().upper()
    doc.pop("password", None)


def _decorate_group(conn: Connection, parent: dict | None, doc: dict) -> None:
    if doc.get("_builtin"):
        doc["namespace"] = "*"
        return
    doc["namespace"] = doc.get("namespace") or "*"
    doc["domain"] = dict(DOMAIN)
    doc["domain_entry_id"] = doc["id"].encode().hex().upper()


def _decorate_role(conn: Connection, parent: dict | None, doc: dict) -> None:
    doc.pop("permits", None)  # a link: /roles/{id}/permits
    doc["administrative"] = bool(doc.get("administrative"))
    doc["mutable"] = bool(doc.get("mutable", True))
    doc.setdefault("description", "")


def _usrname(t):
    return t.c.name.concat(f"@{INTERNAL_AUTHZ}")


USER_FIELDS: dict[str, SearchField] = {
    "usrname": (_usrname, "str"), "user_name": (_usrname, "str"), "principal": column("name"),
    "email": doc_field("email"), "firstname": doc_field("first_name"), "lastname": doc_field("last_name"),
}


# ---------------------------------------------------------------- permissions


def _object_permissions(kind: str) -> Collection:
    def list_items(conn: Connection, parent: dict | None, params: dict[str, str]) -> list[dict]:
        return aaa.list_permissions(conn, kind, parent["id"]) if parent else []

    def load(conn: Connection, parent: dict | None, ident: str) -> dict | None:
        return next((d for d in list_items(conn, parent, {}) if d["id"] == ident), None)

    def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
        return aaa.add_permission(ctx, (kind, parent["id"]), doc)  # type: ignore[index]

    return Collection("permissions", "permission", load=load, list_items=list_items, add=add,
                      remove=aaa.remove_permission)


def _principal_permissions(member: str) -> Collection:
    def list_items(conn: Connection, parent: dict | None, params: dict[str, str]) -> list[dict]:
        if parent is None:
            return []
        return aaa.principal_permissions(conn, parent["id"] if member == "user" else None,
                                         parent["id"] if member == "group" else None)

    def load(conn: Connection, parent: dict | None, ident: str) -> dict | None:
        return next((d for d in list_items(conn, parent, {}) if d["id"] == ident), None)

    def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
        return aaa.add_permission(ctx, None, doc, {member: {"id": parent["id"]}})  # type: ignore[index]

    return Collection("permissions", "permission", load=load, list_items=list_items, add=add,
                      remove=aaa.remove_permission)


def _system_permissions() -> Collection:
    def list_items(conn: Connection, parent: dict | None, params: dict[str, str]) -> list[dict]:
        return aaa.list_permissions(conn, "system", SYSTEM_ID, inherited=False)

    def load(conn: Connection, parent: dict | None, ident: str) -> dict | None:
        return next((d for d in list_items(conn, parent, {}) if d["id"] == ident), None)

    def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
        return aaa.add_permission(ctx, ("system", SYSTEM_ID), doc)

    return Collection("permissions", "permission", load=load, list_items=list_items, add=add,
                      remove=aaa.remove_permission)


# ---------------------------------------------------------------- roles and permits


def _permits() -> Collection:
    def list_items(conn: Connection, role: dict | None, params: dict[str, str]) -> list[dict]:
        stored = repo.get(conn, "role", role["id"]) if role else None
        return [aaa.permit_doc(int(p), role["id"]) for p in (stored or {}).get("permits") or []
                if int(p) in PERMITS] if role else []

    def load(conn: Connection, role: dict | None, ident: str) -> dict | None:
        return next((d for d in list_items(conn, role, {}) if d["id"] == ident), None)

    return Collection("permits", "permit", load=load, list_items=list_items, add=aaa.attach_permit,
                      remove=aaa.detach_permit)


# ---------------------------------------------------------------- users' groups, domains


def _user_groups(conn: Connection, user: dict | None, params: dict[str, str]) -> list[dict]:
    if user is None:
        return []
    ids = [r[0] for r in conn.execute(select(group_members.c.group_id).where(group_members.c.user_id == user["id"]))]
    docs = repo.find(conn, "group", KINDS["group"].table.c.id.in_(ids)) if ids else []
    for d in docs:
        _decorate_group(conn, None, d)
    return docs


def _computed(name: str, type_: str, items) -> Collection:
    def list_items(conn: Connection, parent: dict | None, params: dict[str, str]) -> list[dict]:
        return items(conn, parent, params)

    def load(conn: Connection, parent: dict | None, ident: str) -> dict | None:
        return next((d for d in items(conn, parent, {}) if d["id"] == ident), None)

    return Collection(name, type_, load=load, list_items=list_items)


def _directory_users() -> Collection:
    coll = Collection("users", "user", "user", fields=USER_FIELDS, decorate=_decorate_user,
                      scope=lambda t, parent: t.c.id.in_(select(credentials.c.user_id)))
    access.DIRECTORY.append(coll)
    return coll


def _directory_groups() -> Collection:
    coll = Collection("groups", "group", "group", decorate=_decorate_group,
                      scope=lambda t, parent: t.c.doc["_builtin"].as_boolean().is_(None))
    access.DIRECTORY.append(coll)
    return coll


def _load_domain(conn: Connection, parent: dict | None, ident: str) -> dict | None:
    return dict(DOMAIN) if ident.upper() == aaa.DOMAIN_ID else None


# ---------------------------------------------------------------- the tree


def _own_created(add, kind: str):
    """A VM or template a user creates is theirs to manage (UserVmManager / TemplateOwner), as in oVirt."""
    def wrapped(ctx: Context, parent: dict | None, doc: dict) -> dict:
        created = add(ctx, parent, doc)
        aaa.creator_owns(ctx, kind, created["id"])
        return created
    return wrapped


ENTITY_PERMISSIONS = {"datacenters": "data_center", "clusters": "cluster", "hosts": "host",
                      "storagedomains": "storage_domain", "networks": "network", "vnicprofiles": "vnic_profile",
                      "templates": "template", "vms": "vm", "disks": "disk"}


def register(root: dict[str, Collection]) -> None:
    users = Collection("users", "user", "user", fields=USER_FIELDS, add=aaa.add_user, update=aaa.update_user,
                       remove=aaa.remove_user, decorate=_decorate_user,
                       subs={"permissions": _principal_permissions("user"),
                             "groups": _computed("groups", "group", _user_groups)})
    groups = Collection("groups", "group", "group", add=aaa.add_group, remove=aaa.remove_group,
                        decorate=_decorate_group, subs={"permissions": _principal_permissions("group")})
    roles = Collection("roles", "role", "role", add=aaa.add_role, update=aaa.update_role, remove=aaa.remove_role,
                       decorate=_decorate_role, fields={"administrative": doc_field("administrative", "bool")},
                       subs={"permits": _permits()})
    domains = Collection("domains", "domain", load=_load_domain,
                         list_items=lambda conn, parent, params: [dict(DOMAIN)],
                         subs={"users": _directory_users(), "groups": _directory_groups()})
    for coll in (users, groups, roles, _system_permissions(), domains):
        root[coll.name] = coll
        TOP[coll.type] = coll
    for name, kind in ENTITY_PERMISSIONS.items():
        if name in root:
            root[name].subs.setdefault("permissions", _object_permissions(kind))
    for name, kind in (("vms", "vm"), ("templates", "template")):
        if name in root and root[name].add is not None:
            root[name].add = _own_created(root[name].add, kind)
