#!/usr/bin/python
"""Module vdc.infra.disk: a disk, floating or attached to a VM."""

from __future__ import annotations

DOCUMENTATION = r"""
module: disk
short_description: Manage disks
version_added: 0.1.0
description:
  - Create, resize, update and remove disks. Options follow M(ovirt.ovirt.ovirt_disk).
  - With I(vm_name) the disk is found among that VM's disks and created attached to it; without, it is a
    floating disk found by name.
  - I(format), I(sparse) and I(storage_domain) cannot change after creation; a changed declaration fails and
    names the field.
options:
  name:
    description: Name (alias) of the disk.
    type: str
    required: true
    aliases: [alias]
  id:
    description: Id of the disk; when given, the disk is found by id.
    type: str
  state:
    description: Whether the disk should exist.
    type: str
    choices: [present, absent]
    default: present
  vm_name:
    description: VM the disk is attached to.
    type: str
  size:
    description: Size, as an IEC string such as C(20GiB) or bytes; disks can only grow.
    type: str
  storage_domain:
    description: Data domain of a new disk.
    type: str
  interface:
    description: Bus (for a disk attached to a VM).
    type: str
    choices: [virtio, virtio_scsi, ide, sata, spapr_vscsi]
  bootable:
    description: The VM boots from it.
    type: bool
  format:
    description: Image format.
    type: str
    choices: [cow, raw]
  sparse:
    description: Thin provisioning.
    type: bool
  shareable:
    description: May be attached to several VMs (raw only).
    type: bool
  read_only:
    description: Attached read-only.
    type: bool
  activate:
    description: Plugged in.
    type: bool
  description:
    description: Description.
    type: str
  detach_only:
    description: With I(state=absent) and I(vm_name), detach the disk from the VM and keep it.
    type: bool
    default: false
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.wait
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: A data disk for web1
  vdc.infra.disk:
    name: web1_data
    vm_name: web1
    size: 100GiB
    storage_domain: data1
    interface: virtio_scsi
"""

RETURN = r"""
id:
  description: Id of the disk (none when absent).
  returned: always
  type: str
disk:
  description: The disk (or, attached to a VM, its attachment) as the engine returns it.
  returned: when it exists
  type: dict
entity:
  description: Same as RV(disk).
  returned: when it exists
  type: dict
plan:
  description: The steps planned, each with C(op), C(kind), C(entity), C(reason) and C(changes).
  returned: always
  type: list
  elements: dict
diff:
  description: Before and after of every field that changes.
  returned: with --diff
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import ReconcileModule  # noqa: E402


class DiskModule(ReconcileModule):
    kind = "disk"
    renames = {"vm_name": "vm"}
    argument_spec = {
        "name": {"type": "str", "required": True, "aliases": ["alias"]},
        "vm_name": {"type": "str"},
        "size": {"type": "str"},
        "storage_domain": {"type": "str"},
        "interface": {"type": "str", "choices": ["virtio", "virtio_scsi", "ide", "sata", "spapr_vscsi"]},
        "bootable": {"type": "bool"},
        "format": {"type": "str", "choices": ["cow", "raw"]},
        "sparse": {"type": "bool"},
        "shareable": {"type": "bool"},
        "read_only": {"type": "bool"},
        "activate": {"type": "bool"},
        "description": {"type": "str"},
        "detach_only": {"type": "bool", "default": False},
    }


def main() -> None:
    DiskModule()()


if __name__ == "__main__":
    main()
