#!/usr/bin/python
"""Module vdc.infra.storage_domain: a storage domain and its attachment to a data center."""

from __future__ import annotations

DOCUMENTATION = r"""
module: storage_domain
short_description: Manage storage domains
version_added: 0.1.0
description:
  - Create, attach, activate, deactivate, detach and remove storage domains, with the states of
    M(ovirt.ovirt.ovirt_storage_domain).
  - I(state=present) with I(data_center) means attached to that data center and C(active). Activation needs a
    host that is C(up) in the data center; without one the task fails with the engine's reason (use
    I(state=maintenance) to attach without activating).
  - The storage connection (I(nfs), I(localfs), I(posixfs), I(glusterfs)) and I(domain_function) cannot change
    after creation; a changed declaration fails and names the field, instead of being silently ignored.
options:
  name:
    description: Name of the storage domain.
    type: str
    required: true
  id:
    description: Id of the storage domain; when given, the domain is found by id.
    type: str
  state:
    description:
      - C(present) creates the domain and, with I(data_center), attaches and activates it.
      - C(maintenance) creates and attaches it, inactive.
      - C(unattached) creates it, or deactivates and detaches it from its data center.
      - C(absent) deactivates, detaches and removes it.
    type: str
    choices: [present, absent, maintenance, unattached]
    default: present
  data_center:
    description: Data center the domain is attached to.
    type: str
  domain_function:
    description: What the domain holds.
    type: str
    choices: [data, iso, export]
    aliases: [type]
  description:
    description: Description.
    type: str
  comment:
    description: Comment.
    type: str
  host:
    description: Host that connects to the storage when the domain is created.
    type: str
  nfs:
    description: NFS storage.
    type: dict
    suboptions:
      address: {description: NFS server., type: str}
      path: {description: Exported path., type: str}
      version: {description: NFS version., type: str, choices: [auto, v3, v4, v4_0, v4_1, v4_2]}
      timeout: {description: Retransmission timeout in deciseconds., type: int}
      retrans: {description: Retransmissions., type: int}
      mount_options: {description: Extra mount options., type: str}
  localfs:
    description: Local storage on the host (local data centers).
    type: dict
    suboptions:
      path: {description: Local path., type: str}
  posixfs:
    description: A POSIX file system.
    type: dict
    suboptions:
      path: {description: Device or path., type: str}
      vfs_type: {description: File system type., type: str}
      mount_options: {description: Mount options., type: str}
  glusterfs:
    description: A Gluster volume.
    type: dict
    suboptions:
      address: {description: Gluster server., type: str}
      path: {description: Volume path., type: str}
      mount_options: {description: Mount options., type: str}
  warning_low_space:
    description: Percentage of free space below which the engine warns.
    type: int
  critical_space_action_blocker:
    description: Free space in GiB below which the engine blocks new disks.
    type: int
  wipe_after_delete:
    description: Wipe disks when they are removed.
    type: bool
  discard_after_delete:
    description: Discard blocks when disks are removed.
    type: bool
  backup:
    description: The domain holds backups.
    type: bool
  destroy:
    description: With I(state=absent), remove the domain without touching the storage.
    type: bool
    default: false
  format:
    description: With I(state=absent), format the storage.
    type: bool
    default: false
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.wait
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: An NFS data domain, attached and active
  vdc.infra.storage_domain:
    name: data1
    data_center: dc-lab
    nfs:
      address: nas.example.org
      path: /export/data

- name: Attached but not active (no host is up yet)
  vdc.infra.storage_domain:
    name: data1
    data_center: dc-lab
    state: maintenance
    nfs:
      address: nas.example.org
      path: /export/data
"""

RETURN = r"""
id:
  description: Id of the storage domain (none when absent).
  returned: always
  type: str
storage_domain:
  description: The storage domain as the engine returns it (the shape of M(vdc.infra.storage_domain_info)).
  returned: when it exists
  type: dict
entity:
  description: Same as RV(storage_domain).
  returned: when it exists
  type: dict
plan:
  description: The steps planned (create, attach, activate...), each with C(op), C(entity) and C(reason).
  returned: always
  type: list
  elements: dict
diff:
  description: Before and after of every field and status that changes.
  returned: with --diff
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import ReconcileModule  # noqa: E402

_PATH = {"path": {"type": "str"}, "mount_options": {"type": "str"}}


class StorageDomainModule(ReconcileModule):
    kind = "storage_domain"
    argument_spec = {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent", "maintenance", "unattached"],
                  "default": "present"},
        "data_center": {"type": "str"},
        "domain_function": {"type": "str", "choices": ["data", "iso", "export"], "aliases": ["type"]},
        "description": {"type": "str"},
        "comment": {"type": "str"},
        "host": {"type": "str"},
        "nfs": {"type": "dict", "options": {
            "address": {"type": "str"}, "path": {"type": "str"},
            "version": {"type": "str", "choices": ["auto", "v3", "v4", "v4_0", "v4_1", "v4_2"]},
            "timeout": {"type": "int"}, "retrans": {"type": "int"}, "mount_options": {"type": "str"}}},
        "localfs": {"type": "dict", "options": {"path": {"type": "str"}}},
        "posixfs": {"type": "dict", "options": {**_PATH, "vfs_type": {"type": "str"}}},
        "glusterfs": {"type": "dict", "options": {**_PATH, "address": {"type": "str"}}},
        "warning_low_space": {"type": "int"},
        "critical_space_action_blocker": {"type": "int"},
        "wipe_after_delete": {"type": "bool"},
        "discard_after_delete": {"type": "bool"},
        "backup": {"type": "bool"},
        "destroy": {"type": "bool", "default": False},
        "format": {"type": "bool", "default": False},
    }

    @classmethod
    def model_values(cls, params: dict) -> dict:
        values = super().model_values(params)
        for stype in ("nfs", "localfs", "posixfs", "glusterfs"):  # suboptions left out are None: not declared
            if isinstance(values.get(stype), dict):
                values[stype] = {k: v for k, v in values[stype].items() if v is not None}
        return values


def main() -> None:
    StorageDomainModule()()


if __name__ == "__main__":
    main()
