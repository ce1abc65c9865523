#!/usr/bin/python
"""Module vdc.infra.datacenter_info: data centers, read with the engine's search."""

from __future__ import annotations

DOCUMENTATION = r"""
module: datacenter_info
short_description: List data centers
version_added: 0.1.0
description:
  - Lists data centers of the engine, optionally filtered with the engine's search language, by id or by name.
  - Options follow M(ovirt.ovirt.ovirt_datacenter_info); C(follow) replaces the deprecated C(fetch_nested).
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.info
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: Some data centers
  vdc.infra.datacenter_info:
    pattern: name=dc*
  register: result

- name: Their names
  ansible.builtin.debug:
    msg: "{{ result.data_centers | map(attribute='name') | list }}"
"""

RETURN = r"""
data_centers:
  description: The data centers found, each as the engine returns it (JSON, sizes in bytes, dates in epoch ms).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import InfoModule  # noqa: E402


class DatacenterInfoModule(InfoModule):
    collection = "datacenters"
    result_key = "data_centers"


def main() -> None:
    DatacenterInfoModule()()


if __name__ == "__main__":
    main()
