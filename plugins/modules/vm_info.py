#!/usr/bin/python
"""Module vdc.infra.vm_info: VMs, read with the engine's search."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vm_info
short_description: List VMs
version_added: 0.1.0
description:
  - Lists VMs of the engine, optionally filtered with the engine's search language, by id or by name.
  - Options follow M(ovirt.ovirt.ovirt_vm_info); C(follow) replaces the deprecated C(fetch_nested).
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.info
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: Some VMs
  vdc.infra.vm_info:
    pattern: cluster=c1 and status=up
    follow: [disk_attachments.disk, nics]
  register: result

- name: Their names
  ansible.builtin.debug:
    msg: "{{ result.vms | map(attribute='name') | list }}"
"""

RETURN = r"""
vms:
  description: The VMs found, each as the engine returns it (JSON, sizes in bytes, dates in epoch ms).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import InfoModule  # noqa: E402


class VmInfoModule(InfoModule):
    collection = "vms"
    result_key = "vms"


def main() -> None:
    VmInfoModule()()


if __name__ == "__main__":
    main()
