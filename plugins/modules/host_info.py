#!/usr/bin/python
"""Module vdc.infra.host_info: hosts, read with the engine's search."""

from __future__ import annotations

DOCUMENTATION = r"""
module: host_info
short_description: List hosts
version_added: 0.1.0
description:
  - Lists hosts of the engine, optionally filtered with the engine's search language, by id or by name.
  - Options follow M(ovirt.ovirt.ovirt_host_info); C(follow) replaces the deprecated C(fetch_nested).
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.info
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: Some hosts
  vdc.infra.host_info:
    pattern: status=up and cluster=c1
  register: result

- name: Their names
  ansible.builtin.debug:
    msg: "{{ result.hosts | map(attribute='name') | list }}"
"""

RETURN = r"""
hosts:
  description: The hosts found, each as the engine returns it (JSON, sizes in bytes, dates in epoch ms).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import InfoModule  # noqa: E402


class HostInfoModule(InfoModule):
    collection = "hosts"
    result_key = "hosts"


def main() -> None:
    HostInfoModule()()


if __name__ == "__main__":
    main()
