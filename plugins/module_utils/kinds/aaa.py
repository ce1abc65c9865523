"""Users, groups, roles (with their permits) and permissions.

- A user is known by its login (``principal``); a new one is added with ``user_name`` ``login@authz`` and its
  domain, and with a ``password`` vdc creates the internal account first.
- A role's permits live in its ``permits`` sub-collection: the reader attaches their names (``_permits``) and
  ids (``_permit_ids``), a new role carries them in its create request, an update attaches and detaches them.
- A permission has no name of its own: the model makes one of its role, object and principal, and so do its
  facts. It is created and removed under the object it is given on (``/permissions`` for System); the reader
  says which object that is (``_object_type``, ``_object_id``), since the engine names none for System,
  networks and vNIC profiles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible_collections.vdc.infra.plugins.module_utils import model as m
from ansible_collections.vdc.infra.plugins.module_utils.errors import PlanError
from ansible_collections.vdc.infra.plugins.module_utils.kinds.base import Facts, Kind, Request, Wire

# Where each kind of object keeps its permissions, and the object member of a permission given on it.
OBJECT_COLLECTIONS = {"data_center": "datacenters", "cluster": "clusters", "host": "hosts",
                      "storage_domain": "storagedomains", "network": "networks", "vnic_profile": "vnicprofiles",
                      "template": "templates", "vm": "vms", "disk": "disks"}
OBJECT_MEMBERS = ("data_center", "cluster", "host", "storage_domain", "vm", "template", "disk")


def _login(entity: Wire) -> str | None:
    """``alice`` of ``alice@internal-authz`` (the principal, as users are declared)."""
    name = entity.get("principal") or (entity.get("user_name") or "").rpartition("@")[0] or entity.get("name")
    return str(name) if name else None


def _user_create(body: Wire, values: dict[str, Any]) -> Wire:
    authz = values.get("authz_name") or m.INTERNAL_AUTHZ
    body.pop("name", None)
    body["user_name"] = f"{values['name']}@{authz}"
    body["principal"] = values["name"]
    body["domain"] = {"name": authz}
    return body


def _user_facts(entity: Wire, lookup: Any) -> Facts:
    return {"name": _login(entity)}


USER = Kind(
    name="user", label_word=m.User.word(), collection="users", order=5, fields=m.User.wire_fields(),
    create_body=_user_create, extra_facts=_user_facts,
)


def _group_create(body: Wire, values: dict[str, Any]) -> Wire:
    body.setdefault("domain", {"name": m.INTERNAL_AUTHZ})
    return body


GROUP = Kind(
    name="group", label_word=m.Group.word(), collection="groups", order=4, fields=m.Group.wire_fields(),
    create_body=_group_create,
)


def _role_create(body: Wire, values: dict[str, Any]) -> Wire:
    body["permits"] = {"permit": [{"name": p} for p in values.get("permits") or ["login"]]}
    return body


def _role_requests(path: str, ident: str, body: Wire, values: dict[str, Any], current: Facts) -> list[Request]:
    """Name and description in the role; permits attached and detached one by one in its ``permits``."""
    out = [Request("update", path, ident, body)] if body else []
    if "permits" in values:
        want, have = set(values["permits"] or []), set(current.get("permits") or [])
        ids = current.get("_permit_ids") or {}
        out += [Request("add", f"{path}/{ident}/permits", body={"name": p}) for p in sorted(want - have)]
        out += [Request("remove", f"{path}/{ident}/permits", ids.get(p)) for p in sorted(have - want)]
    return out


def _role_facts(entity: Wire, lookup: Any) -> Facts:
    return {"_permit_ids": entity.get("_permit_ids") or {}, "mutable": entity.get("mutable")}


ROLE = Kind(
    name="role", label_word=m.Role.word(), collection="roles", order=3, fields=m.Role.wire_fields(),
    create_body=_role_create, update_requests=_role_requests, extra_facts=_role_facts,
    defaults={"administrative": False},
)


def _permission_facts(entity: Wire, lookup: Any) -> Facts:
    """The object in user terms and the name the model makes of role, object and principal."""
    object_type = entity.get("_object_type")
    object_id = entity.get("_object_id")
    facts: Facts = {"object_type": object_type, "_object_id": object_id,
                    "object_name": lookup.name(object_type, object_id) if object_type not in (None, "system")
                    else None}
    role = lookup.name("role", (entity.get("role") or {}).get("id"))
    user = _login(lookup.get("user", (entity.get("user") or {}).get("id")) or {})
    group = lookup.name("group", (entity.get("group") or {}).get("id"))
    facts.update(role=role, user=user, group=group)
    facts["name"] = m.permission_name(facts)
    return facts


def _permission_path(values: dict[str, Any], find_id: Callable[[str, str, dict[str, Any]], str | None]) -> str:
    """The object's ``permissions`` (System's at the top)."""
    object_type = values.get("object_type")
    if object_type == "system":
        return "permissions"
    collection = OBJECT_COLLECTIONS.get(str(object_type))
    ident = values.get("_object_id") or find_id(str(object_type), values.get("object_name") or "", {})
    if collection is None or not ident:
        word = str(object_type).replace("_", " ")
        raise PlanError(f"{word} '{values.get('object_name')}' not found (or its name is not unique)",
                        f"permission '{values.get('name')}'")
    return f"{collection}/{ident}/permissions"


def _permission_create(body: Wire, values: dict[str, Any]) -> Wire:
    body.pop("name", None)
    return body


def _permission_refers(values: dict[str, Any]) -> list[tuple[str, str]]:
    """The object a permission is given on exists first (it may be created in the same run)."""
    object_type, name = values.get("object_type"), values.get("object_name")
    return [(str(object_type), name)] if object_type in OBJECT_COLLECTIONS and name else []


PERMISSION = Kind(
    name="permission", label_word=m.Permission.word(), collection="permissions", order=120,
    fields=m.Permission.wire_fields(), create_body=_permission_create, extra_facts=_permission_facts,
    locate=_permission_path, refers=_permission_refers,
)
