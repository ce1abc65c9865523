#!/usr/bin/python
"""Module vdc.infra.permission_info: the permissions of a user, a group, an object or System."""

from __future__ import annotations

DOCUMENTATION = r"""
module: permission_info
short_description: List permissions
version_added: 0.1.0
description:
  - Lists the permissions held by a user or a group (M(ovirt.ovirt.ovirt_permission_info) takes the same
    I(user_name) and I(group_name)), those that apply to an object (its own and its ancestors', as the engine lists
    them), or those given on System.
  - Each permission is returned as the engine has it, with the names of its role, user or group and object added
    under C(role_name), C(user_name), C(group_name), C(object_type) and C(object_name) where the caller can see them.
# options: generated from plugins/module_utils/module_options.py by `make docs`; declare them there.
options:
  user_name:
    description: Login name of a user, for example C(alice).
    type: str
    aliases: [user]
  group_name:
    description: Name of a group.
    type: str
    aliases: [group]
  object_type:
    description: Kind of the object whose permissions to list (C(system) for those given
      on System).
    type: str
    choices: [system, data_center, cluster, host, storage_domain, network, vnic_profile,
      template, vm, disk]
  object_name:
    description: Name of the object, with I(object_type).
    type: str
extends_documentation_fragment:
  - vdc.infra.engine
author: vdc maintainers (@vdc)
notes:
  - Give one of I(user_name), I(group_name) or I(object_type).
"""

EXAMPLES = r"""
- name: What alice holds
  vdc.infra.permission_info:
    user_name: alice
  register: alice

- name: Who holds what on cluster c1
  vdc.infra.permission_info:
    object_type: cluster
    object_name: c1
"""

RETURN = r"""
permissions:
  description: The permissions found, each as the engine returns it plus the names of what it refers to.
  returned: always
  type: list
  elements: dict
"""

from typing import Any  # noqa: E402

from ansible_collections.vdc.infra.plugins.module_utils.errors import VdcError  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils.module import EngineModule  # noqa: E402

OBJECTS = {"data_center": "datacenters", "cluster": "clusters", "host": "hosts", "storage_domain": "storagedomains",
           "network": "networks", "vnic_profile": "vnicprofiles", "template": "templates", "vm": "vms",
           "disk": "disks"}


def _one(client: Any, collection: str, name: str, word: str, search: str = "name") -> dict[str, Any]:
    found = [d for d in client.list(collection, search=f'{search}="{name}"')
             if search != "name" or d.get("name") == name]
    if len(found) != 1:
        raise VdcError(f"{word} '{name}' " + ("not found" if not found else "is not unique"))
    return found[0]


class PermissionInfoModule(EngineModule):
    options_of = "permission_info"
    module_kwargs = {"required_one_of": [("user_name", "group_name", "object_type")],
                     "mutually_exclusive": [("user_name", "group_name", "object_type")],
                     "required_if": [("object_type", name, ("object_name",)) for name in OBJECTS]}

    def run(self, client: Any) -> dict[str, Any]:
        p = self.params
        if p["user_name"]:
            login = p["user_name"] if "@" in p["user_name"] else f"{p['user_name']}@internal-authz"
            path = f"users/{_one(client, 'users', login, 'user', 'usrname')['id']}/permissions"
        elif p["group_name"]:
            path = f"groups/{_one(client, 'groups', p['group_name'], 'group')['id']}/permissions"
        elif p["object_type"] == "system":
            path = "permissions"
        else:
            collection = OBJECTS[p["object_type"]]
            found = _one(client, collection, p["object_name"], p["object_type"].replace("_", " "))
            path = f"{collection}/{found['id']}/permissions"
        return {"changed": False, "permissions": [self._named(client, d) for d in client.list(path)]}

    def _named(self, client: Any, doc: dict[str, Any]) -> dict[str, Any]:
        """``doc`` with the names of its role, principal and object, read once per id."""
        cache = self.__dict__.setdefault("_names", {})

        def name(collection: str, ident: str) -> str | None:
            if (collection, ident) not in cache:
                found = client.get(collection, ident)
                cache[(collection, ident)] = (found or {}).get("name") if collection != "users" else \
                    (found or {}).get("principal") or (found or {}).get("name")
            return cache[(collection, ident)]

        out = dict(doc)
        for key, collection in (("role", "roles"), ("user", "users"), ("group", "groups")):
            if isinstance(doc.get(key), dict) and doc[key].get("id"):
                out[f"{key}_name"] = name(collection, doc[key]["id"])
        member = next((k for k in OBJECTS if isinstance(doc.get(k), dict) and doc[k].get("id")), None)
        if member:
            out["object_type"], out["object_name"] = member, name(OBJECTS[member], doc[member]["id"])
        return out


def main() -> None:
    PermissionInfoModule()()


if __name__ == "__main__":
    main()
