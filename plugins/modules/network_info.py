#!/usr/bin/python
"""Module vdc.infra.network_info: networks, read with the engine's search."""

from __future__ import annotations

DOCUMENTATION = r"""
module: network_info
short_description: List networks
version_added: 0.1.0
description:
  - Lists networks of the engine, optionally filtered with the engine's search language, by id or by name.
  - Options follow M(ovirt.ovirt.ovirt_network_info); C(follow) replaces the deprecated C(fetch_nested).
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.info
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: Some networks
  vdc.infra.network_info:
    pattern: datacenter=dc1
  register: result

- name: Their names
  ansible.builtin.debug:
    msg: "{{ result.networks | map(attribute='name') | list }}"
"""

RETURN = r"""
networks:
  description: The networks found, each as the engine returns it (JSON, sizes in bytes, dates in epoch ms).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import InfoModule  # noqa: E402


class NetworkInfoModule(InfoModule):
    collection = "networks"
    result_key = "networks"


def main() -> None:
    NetworkInfoModule()()


if __name__ == "__main__":
    main()
