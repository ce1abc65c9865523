"""Users, groups, roles and permissions: the commands behind ``/users``, ``/groups``, ``/roles`` and every
``permissions`` collection, with oVirt's rules (AddPermission, RemovePermission, AddRoleWithActionGroups,
UpdateRole, RemoveRole, AttachActionGroupsToRole, AddUser, AddGroup).

Every command here changes what someone may do, so each one replaces the permissions generation in its
transaction and empties this process's grants cache after its commit.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import delete, func, insert, select

from engine_api.auth import directory
from engine_api.auth import permits as P
from engine_api.auth.grants import bump, rbac_for
from engine_api.auth.scope import ancestors
from engine_api.commands import authz
from engine_api.commands.runner import run
from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict, NotFound
from engine_api.store.schema import KINDS, credentials, group_members, permissions, tokens

T = TypeVar("T")
DOMAIN_ID = P.INTERNAL_AUTHZ.encode().hex().upper()  # oVirt's domain id: the hex of the authz name

# the permission's member naming its object, by object type (the others have no member on the wire)
OBJECT_MEMBERS = {"data_center": "data_center", "cluster": "cluster", "host": "host",
                  "storage_domain": "storage_domain", "vm": "vm", "template": "template", "disk": "disk"}
ADMIN_ID = "fdfc627c-d875-11e0-90f0-83df133b58cc"


def _changed(ctx: Context, action: str, body: Callable[..., T], *args: Any) -> T:
    """Run a command that changes grants; the cache is emptied after its commit."""
    def bumped(tx: Tx, *a: Any) -> T:
        result = body(tx, *a)
        bump(tx.conn)
        return result
    try:
        return run(ctx, action, bumped, *args)
    finally:
        rbac_for(ctx.engine.db).invalidate()  # cached logins carry the generation too: they are dropped with it


# ---------------------------------------------------------------- domains


def domain_of(value: Any, field: str) -> str:
    """The authz a ``domain`` reference names; only the internal domain exists."""
    if isinstance(value, dict) and (value.get("id") or value.get("name")):
        if value.get("id") in (DOMAIN_ID, DOMAIN_ID.lower()) or value.get("name") in (P.INTERNAL_AUTHZ, "internal"):
            return P.INTERNAL_AUTHZ
        raise BadRequest(f"{field}: no such domain '{value.get('name') or value.get('id')}'")
    raise BadRequest(f"{field} is required", "Incomplete parameters")


# ---------------------------------------------------------------- users


def _add_user(tx: Tx, doc: dict) -> dict:
    user_name = doc.get("user_name") or doc.get("principal") or ""
    login, at, authz = user_name.rpartition("@")
    if not at:
        login, authz = user_name, ""
    if doc.get("domain"):
        authz = domain_of(doc["domain"], "user.domain")
    elif authz not in ("internal", P.INTERNAL_AUTHZ):
        raise BadRequest("user.domain is required (or a user_name ending in @internal-authz)",
                         "Incomplete parameters")
    login = doc.get("principal") or login
    if not login:
        raise BadRequest("user.user_name is required", "Incomplete parameters")
    acc = directory.account(tx.conn, login)
    if acc is None:
        if not doc.get("password"):
            raise BadRequest(f"No such user: {login} in domain {P.INTERNAL_AUTHZ}")
        attrs = {k: doc.get(k) for k in ("first_name", "last_name", "email", "department", "description")}
        try:
            ident = directory.add_user(tx.conn, login, doc["password"], directory.NEVER, attrs, imported=True)
        except directory.DirectoryError as e:
            raise BadRequest(str(e)) from None
        tx.writes += 1
        tx.event(149, f"User {login}@{P.INTERNAL_AUTHZ} was added to the internal domain and the engine by "
                 f"{tx.who}.", user=ident)
        return tx.must("user", ident)
    user = tx.must("user", acc.id)
    if not user.get("_imported", True):
        user["_imported"] = True
        tx.update("user", user)
        tx.event(149, f"User {acc.name}@{P.INTERNAL_AUTHZ} was added to the engine by {tx.who}.", user=acc.id)
    return user


def add_user(ctx: Context, parent: dict | None, doc: dict) -> dict:
    """``POST /users``: add a principal of the internal domain to the engine (with ``password``, a vdc
    extension, the account is created in the internal domain first)."""
    return _changed(ctx, "add_user", _add_user, doc)


def _update_user(tx: Tx, current: dict, changes: dict) -> dict:
    user = tx.must("user", current["id"])
    if changes.get("password"):
        try:
            directory.set_password(tx.conn, user["name"], changes["password"], directory.NEVER)
        except directory.DirectoryError as e:
            raise BadRequest(str(e)) from None
        tx.writes += 1
        tx.event(0, f"The password of user {user['name']}@{P.INTERNAL_AUTHZ} was reset by {tx.who}.",
                 user=user["id"])
    for key in ("email", "first_name", "last_name", "department", "description"):
        if key in changes:
            user[key] = changes[key]
    return tx.update("user", user)


def update_user(ctx: Context, parent: dict | None, current: dict, changes: dict) -> dict:
    return _changed(ctx, "update_user", _update_user, current, changes)


def _remove_user(tx: Tx, current: dict) -> None:
    if current["id"] == ADMIN_ID:
        raise Conflict("Cannot remove User. The built-in admin user cannot be removed.")
    user = tx.must("user", current["id"])
    tx.conn.execute(delete(permissions).where(permissions.c.user_id == user["id"]))
    tx.conn.execute(delete(tokens).where(tokens.c.user_id == user["id"]))
    if _is_internal(tx, user["id"]):
        user["_imported"] = False  # the account stays in the internal domain, as the directory is not the engine
        tx.update("user", user)
    else:
        tx.delete("user", user["id"])
    tx.event(150, f"User {user['name']} was removed from the engine by {tx.who}.")


def _is_internal(tx: Tx, user_id: str) -> bool:
    return tx.conn.execute(select(credentials.c.user_id).where(credentials.c.user_id == user_id)).first() is not None


def remove_user(ctx: Context, parent: dict | None, current: dict) -> None:
    _changed(ctx, "remove_user", _remove_user, current)


# ---------------------------------------------------------------- groups


def _add_group(tx: Tx, doc: dict) -> dict:
    name = doc.get("name") or ""
    if not name:
        raise BadRequest("group.name is required", "Incomplete parameters")
    domain_of(doc.get("domain"), "group.domain")
    found = directory.group(tx.conn, name)
    if found is None:  # vdc: a group of the internal domain is made on its first add
        try:
            ident = directory.add_group(tx.conn, name, imported=True)
        except directory.DirectoryError as e:
            raise BadRequest(str(e)) from None
        tx.writes += 1
        tx.event(0, f"Group {name} was added to the internal domain and the engine by {tx.who}.")
        return tx.must("group", ident)
    group = tx.must("group", found["id"])
    if not group.get("_imported", True):
        group["_imported"] = True
        tx.update("group", group)
        tx.event(0, f"Group {name} was added to the engine by {tx.who}.")
    return group


def add_group(ctx: Context, parent: dict | None, doc: dict) -> dict:
    return _changed(ctx, "add_group", _add_group, doc)


def _remove_group(tx: Tx, current: dict) -> None:
    if current["id"] == P.EVERYONE_ID:
        raise Conflict("Cannot remove Group. The Everyone group is built in.")
    group = tx.must("group", current["id"])
    tx.conn.execute(delete(permissions).where(permissions.c.group_id == group["id"]))
    group["_imported"] = False
    tx.update("group", group)
    tx.event(0, f"Group {group['name']} was removed from the engine by {tx.who}.")


def remove_group(ctx: Context, parent: dict | None, current: dict) -> None:
    _changed(ctx, "remove_group", _remove_group, current)


def set_members(tx: Tx, user_id: str, group_ids: list[str]) -> None:
    """The user's groups become exactly ``group_ids`` (internal users; a vdc extension)."""
    tx.conn.execute(delete(group_members).where(group_members.c.user_id == user_id))
    for gid in dict.fromkeys(group_ids):
        if gid != P.EVERYONE_ID:
            tx.conn.execute(insert(group_members).values(group_id=gid, user_id=user_id))
    tx.writes += 1


# ---------------------------------------------------------------- roles


def permit_id(ref: Any, field: str) -> int:
    """A permit given by id (``"1300"``) or name (``login``)."""
    if isinstance(ref, dict):
        if ref.get("id") is not None:
            try:
                pid = int(str(ref["id"]))
            except ValueError:
                pid = -1
            if pid not in P.PERMITS:
                raise BadRequest(f"{ref['id']} is not a valid permit ID.")
            return pid
        if ref.get("name"):
            p = P.PERMITS_BY_NAME.get(str(ref["name"]).lower())
            if p is None:
                raise BadRequest(f"{field}: {ref['name']} is not a valid permit name.")
            return p.id
    raise BadRequest(f"{field} must give a permit id or name", "Incomplete parameters")


def _type_check(admin: bool, ids: list[int]) -> None:
    if not admin and any(P.PERMITS[i].admin for i in ids):
        names = ", ".join(P.PERMITS[i].name for i in ids if P.PERMITS[i].admin)
        raise BadRequest(f"Cannot add action groups to a user role: {names} can only be given to an "
                         "administrative role.", "Operation Failed")


def _add_role(tx: Tx, doc: dict) -> dict:
    name = (doc.get("name") or "").strip()
    if not name:
        raise BadRequest("role.name is required", "Incomplete parameters")
    if doc.get("administrative") is None:
        raise BadRequest("Role type cannot be empty.", "Incomplete parameters")
    refs = doc.get("permits") or []
    if not refs:
        raise BadRequest("role.permits is required", "Incomplete parameters")
    ids = sorted({permit_id(r, "role.permits") for r in refs})
    _type_check(bool(doc["administrative"]), ids)
    tx.unique_name("role", name, "Role")
    role = {"name": name, "description": doc.get("description") or "", "administrative": bool(doc["administrative"]),
            "mutable": True, "permits": ids, "_app_mode": 255,
            "_viewing_children": any(P.PERMITS[i].viewing_children for i in ids)}
    created = tx.insert("role", role)
    tx.event(864, f"Role {name} was added by {tx.who}.")
    return created


def add_role(ctx: Context, parent: dict | None, doc: dict) -> dict:
    return _changed(ctx, "add_role", _add_role, doc)


def _must_mutable(role: dict, verb: str) -> None:
    if not role.get("mutable", True):
        raise Conflict(f"Cannot {verb} Role. The role {role['name']} is read-only.")


def _update_role(tx: Tx, current: dict, changes: dict) -> dict:
    role = tx.must("role", current["id"])
    _must_mutable(role, "update")
    if changes.get("administrative") is not None and bool(changes["administrative"]) != role["administrative"]:
        raise Conflict(f"Cannot update Role. The type of role {role['name']} cannot be changed.")
    if changes.get("name") and changes["name"] != role["name"]:
        tx.unique_name("role", changes["name"], "Role", exclude=role["id"])
        role["name"] = changes["name"]
    if "description" in changes:
        role["description"] = changes["description"] or ""
    tx.event(0, f"Role {role['name']} was updated by {tx.who}.")
    return tx.update("role", role)


def update_role(ctx: Context, parent: dict | None, current: dict, changes: dict) -> dict:
    return _changed(ctx, "update_role", _update_role, current, changes)


def _remove_role(tx: Tx, current: dict) -> None:
    role = tx.must("role", current["id"])
    _must_mutable(role, "remove")
    used = tx.conn.execute(select(func.count()).select_from(permissions)
                           .where(permissions.c.role_id == role["id"])).scalar()
    if used:
        raise Conflict(f"Cannot remove Role. The role {role['name']} is in use by {used} permission(s).")
    tx.delete("role", role["id"])
    tx.event(0, f"Role {role['name']} was removed by {tx.who}.")


def remove_role(ctx: Context, parent: dict | None, current: dict) -> None:
    _changed(ctx, "remove_role", _remove_role, current)


def _attach_permit(tx: Tx, role_id: str, doc: dict) -> dict:
    role = tx.must("role", role_id)
    _must_mutable(role, "attach action group to")
    pid = permit_id(doc, "permit")
    _type_check(role["administrative"], [pid])
    if pid not in role["permits"]:
        role["permits"] = sorted([*role["permits"], pid])
        role["_viewing_children"] = any(P.PERMITS[i].viewing_children for i in role["permits"])
        tx.update("role", role)
        tx.event(0, f"Permit {P.PERMITS[pid].name} was added to role {role['name']} by {tx.who}.")
    return permit_doc(pid, role_id)


def attach_permit(ctx: Context, parent: dict | None, doc: dict) -> dict:
    return _changed(ctx, "update_role", _attach_permit, parent["id"], doc)  # type: ignore[index]


def _detach_permit(tx: Tx, role_id: str, pid: int) -> None:
    role = tx.must("role", role_id)
    _must_mutable(role, "detach action group from")
    if pid in role["permits"]:
        role["permits"] = [p for p in role["permits"] if p != pid]
        tx.update("role", role)
        tx.event(0, f"Permit {P.PERMITS[pid].name} was removed from role {role['name']} by {tx.who}.")


def detach_permit(ctx: Context, parent: dict | None, current: dict) -> None:
    _changed(ctx, "update_role", _detach_permit, parent["id"], int(current["id"]))  # type: ignore[index]


def permit_doc(pid: int, role_id: str | None = None) -> dict:
    p = P.PERMITS[pid]
    doc: dict = {"id": str(pid), "name": p.name, "administrative": p.admin}
    if role_id:
        doc["role"] = {"id": role_id}
    return doc


# ---------------------------------------------------------------- permissions


def permission_doc(row: Any) -> dict:
    doc: dict = {"id": row.id, "role": {"id": row.role_id}}
    if row.user_id:
        doc["user"] = {"id": row.user_id}
    if row.group_id:
        doc["group"] = {"id": row.group_id}
    member = OBJECT_MEMBERS.get(row.object_type)
    if member:
        doc[member] = {"id": row.object_id}
    doc["_object"] = (row.object_type, row.object_id)
    return doc


def _role(tx: Tx, ref: Any) -> dict:
    if not isinstance(ref, dict) or not (ref.get("id") or ref.get("name")):
        raise BadRequest("permission.role.id|name is required", "Incomplete parameters")
    return tx.ref("role", ref, "permission.role")


def _principal(tx: Tx, doc: dict) -> tuple[str | None, str | None, str]:
    user, group = doc.get("user"), doc.get("group")
    if isinstance(user, dict) and (user.get("id") or user.get("user_name") or user.get("name")):
        if user.get("id"):
            found = tx.get("user", user["id"])
        else:
            given = str(user.get("user_name") or user.get("name"))
            login = given.rpartition("@")[0] or given
            found = next(iter(tx.by_name("user", login)), None)
        if found is None:
            raise BadRequest(f"permission.user: no user '{user.get('id') or user.get('user_name')}'")
        return found["id"], None, found.get("user_name", found["name"])
    if isinstance(group, dict) and (group.get("id") or group.get("name")):
        found = tx.ref("group", group, "permission.group")
        return None, found["id"], found["name"]
    raise BadRequest("permission.user.id|group.id is required", "Incomplete parameters")


def _object_of(tx: Tx, doc: dict) -> tuple[str, str]:
    """The object a permission given under a user or a group names (``vm``, ``cluster``, ...)."""
    for member in ("data_center", "cluster", "host", "storage_domain", "vm", "template", "disk"):
        ref = doc.get(member)
        if isinstance(ref, dict) and (ref.get("id") or ref.get("name")):
            return member, tx.ref(member, ref, f"permission.{member}")["id"]
    raise BadRequest("permission needs the object it is given on (data_center, cluster, host, storage_domain, "
                     "vm, template or disk)", "Incomplete parameters")


def _add_permission(tx: Tx, target: tuple[str, str] | None, doc: dict, forced: dict) -> dict:
    doc = {**doc, **forced}
    object_type, object_id = target or _object_of(tx, doc)
    ctx = tx.ctx
    assert ctx is not None
    if not authz.holds(ctx, tx, P.MANIPULATE_PERMISSIONS, object_type, object_id):
        raise authz.denied()
    role = _role(tx, doc.get("role"))
    user_id, group_id, who = _principal(tx, doc)
    if role["administrative"] and not ctx.user.system and P.SUPER_USER.id not in _system_roles(tx, ctx):
        raise authz.denied()  # only SuperUser on System gives administrative roles
    if object_type == "vm":
        vm = tx.get("vm", object_id)
        if vm and vm.get("vm_pool"):
            raise Conflict("Cannot add Permission. Permissions cannot be given on a VM of a pool.")
    p = permissions.c
    found = tx.conn.execute(select(p.id).where(p.role_id == role["id"], p.object_id == object_id,
                                               (p.user_id == user_id) if user_id else (p.group_id == group_id))
                            ).first()
    if found is not None:
        raise Conflict(f"Cannot add Permission. {who} already has role {role['name']} on this object.")
    ident = str(uuid.uuid4())
    tx.conn.execute(insert(permissions).values(id=ident, role_id=role["id"], user_id=user_id, group_id=group_id,
                                               object_type=object_type, object_id=object_id, created=time.time()))
    tx.writes += 1
    code = 866 if object_type == "system" else 850
    where = "System" if object_type == "system" else \
        f"{object_type.replace('_', ' ')} {_name(tx, object_type, object_id)}"
    tx.event(code, f"User/Group {who} was granted permission for Role {role['name']} on {where}, by {tx.who}.",
             **({object_type: object_id} if object_type in ("vm", "host", "cluster", "data_center", "storage_domain",
                                                           "template") else {}))
    return get_permission(tx, ident)


def _system_roles(tx: Tx, ctx: Context) -> set[str]:
    g = authz.grants(ctx)
    return {h.role.id for h in g.held if h.object_type == "system"}


def _name(tx: Tx, kind: str, ident: str) -> str:
    doc = tx.get(kind, ident) if kind in KINDS else None
    return (doc or {}).get("name", ident)


def get_permission(tx: Tx, ident: str) -> dict:
    row = tx.conn.execute(select(permissions).where(permissions.c.id == ident)).first()
    if row is None:
        raise NotFound(f"permission '{ident}' does not exist")
    return permission_doc(row)


def add_permission(ctx: Context, target: tuple[str, str] | None, doc: dict, forced: dict | None = None) -> dict:
    """Give a role on ``target`` (or on the object the document names) to a user or a group."""
    return _changed(ctx, "add_permission", _add_permission, target, doc, forced or {})


def _remove_permission(tx: Tx, ident: str) -> None:
    row = tx.conn.execute(select(permissions).where(permissions.c.id == ident)).first()
    if row is None:
        raise NotFound(f"permission '{ident}' does not exist")
    ctx = tx.ctx
    assert ctx is not None
    if not authz.holds(ctx, tx, P.MANIPULATE_PERMISSIONS, row.object_type, row.object_id):
        raise authz.denied()
    roles = KINDS["role"].table
    admin_role = tx.conn.execute(select(roles.c.doc).where(roles.c.id == row.role_id)).scalar() or {}
    if admin_role.get("administrative") and P.SUPER_USER.id not in _system_roles(tx, ctx):
        raise authz.denied()
    if row.group_id == P.EVERYONE_ID and row.object_type == "system":
        raise Conflict("Cannot remove Permission. The permissions of Everyone on System cannot be removed.")
    if row.role_id == P.SUPER_USER.id and row.object_type == "system":
        others = tx.conn.execute(select(func.count()).select_from(permissions).where(
            permissions.c.role_id == P.SUPER_USER.id, permissions.c.object_type == "system",
            permissions.c.id != ident)).scalar()
        if not others:
            raise Conflict("Cannot remove Permission. It is the last SuperUser permission on System.")
    tx.conn.execute(delete(permissions).where(permissions.c.id == ident))
    tx.writes += 1
    tx.event(852, f"A permission for Role {row.role_id} on {row.object_type.replace('_', ' ')} was removed by "
             f"{tx.who}.")


def remove_permission(ctx: Context, parent: dict | None, current: dict) -> None:
    _changed(ctx, "remove_permission", _remove_permission, current["id"])


def list_permissions(conn: Any, object_type: str, object_id: str, inherited: bool = True) -> list[dict]:
    """The permissions on an object and (as oVirt lists them) on its ancestors and System."""
    ids = ancestors(conn, object_type, object_id) if inherited and object_type != "system" else [object_id]
    if inherited:
        ids = [*ids, P.SYSTEM_ID]
    rows = conn.execute(select(permissions).where(permissions.c.object_id.in_(ids))
                        .order_by(permissions.c.created, permissions.c.id))
    return [permission_doc(r) for r in rows]


def principal_permissions(conn: Any, user_id: str | None, group_id: str | None) -> list[dict]:
    p = permissions.c
    where = (p.user_id == user_id) if user_id else (p.group_id == group_id)
    return [permission_doc(r) for r in conn.execute(select(permissions).where(where).order_by(p.created, p.id))]


def _creator_owns(tx: Tx, kind: str, ident: str, role_name: str) -> None:
    ctx = tx.ctx
    if ctx is None or ctx.user.system or authz.holds(ctx, tx, P.MANIPULATE_PERMISSIONS, kind, ident):
        return
    if tx.get(kind, ident) is None:
        return
    tx.conn.execute(insert(permissions).values(id=str(uuid.uuid4()), role_id=P.ROLES_BY_NAME[role_name].id,
                                               user_id=ctx.user.id, object_type=kind, object_id=ident,
                                               created=time.time()))
    tx.writes += 1
    tx.event(850, f"User {tx.who} was granted permission for Role {role_name} on the {kind} they created.")


def creator_owns(ctx: Context, kind: str, ident: str) -> None:
    """oVirt makes a user who creates a VM its UserVmManager and a template its TemplateOwner, unless they may
    manage its permissions anyway."""
    if ctx.user.system or P.MANIPULATE_PERMISSIONS in authz.grants(ctx).system:
        return
    role = "UserVmManager" if kind == "vm" else "TemplateOwner"
    _changed(ctx, "creator_owns", _creator_owns, kind, ident, role)


def _rules() -> None:
    sys_ = authz.on_system
    for action, permit in (("add_user", P.MANIPULATE_USERS), ("update_user", P.MANIPULATE_USERS),
                           ("remove_user", P.MANIPULATE_USERS), ("add_group", P.MANIPULATE_USERS),
                           ("remove_group", P.MANIPULATE_USERS), ("add_role", P.MANIPULATE_ROLES),
                           ("update_role", P.MANIPULATE_ROLES), ("remove_role", P.MANIPULATE_ROLES)):
        authz.register(action, sys_(permit))
    # checked by the commands themselves, on the permission's object
    for action in ("add_permission", "remove_permission", "creator_owns"):
        authz.register(action, authz.CHECKED_ELSEWHERE)


_rules()
