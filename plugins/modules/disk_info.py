#!/usr/bin/python
"""Module vdc.infra.disk_info: disks, read with the engine's search."""

from __future__ import annotations

DOCUMENTATION = r"""
module: disk_info
short_description: List disks
version_added: 0.1.0
description:
  - Lists disks of the engine, optionally filtered with the engine's search language, by id or by name.
  - Options follow M(ovirt.ovirt.ovirt_disk_info); C(follow) replaces the deprecated C(fetch_nested).
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.info
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: Some disks
  vdc.infra.disk_info:
    pattern: storage.name=data1
  register: result

- name: Their names
  ansible.builtin.debug:
    msg: "{{ result.disks | map(attribute='name') | list }}"
"""

RETURN = r"""
disks:
  description: The disks found, each as the engine returns it (JSON, sizes in bytes, dates in epoch ms).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import InfoModule  # noqa: E402


class DiskInfoModule(InfoModule):
    collection = "disks"
    result_key = "disks"


def main() -> None:
    DiskInfoModule()()


if __name__ == "__main__":
    main()
