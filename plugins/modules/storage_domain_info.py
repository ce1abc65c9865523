#!/usr/bin/python
"""Module vdc.infra.storage_domain_info: storage domains, read with the engine's search."""

from __future__ import annotations

DOCUMENTATION = r"""
module: storage_domain_info
short_description: List storage domains
version_added: 0.1.0
description:
  - Lists storage domains of the engine, optionally filtered with the engine's search language, by id or by name.
  - Options follow M(ovirt.ovirt.ovirt_storage_domain_info); C(follow) replaces the deprecated C(fetch_nested).
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.info
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: Some storage domains
  vdc.infra.storage_domain_info:
    pattern: type=data
  register: result

- name: Their names
  ansible.builtin.debug:
    msg: "{{ result.storage_domains | map(attribute='name') | list }}"
"""

RETURN = r"""
storage_domains:
  description: The storage domains found, each as the engine returns it (JSON, sizes in bytes, dates in epoch ms).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import InfoModule  # noqa: E402


class StorageDomainInfoModule(InfoModule):
    collection = "storagedomains"
    result_key = "storage_domains"


def main() -> None:
    StorageDomainInfoModule()()


if __name__ == "__main__":
    main()
