#!/usr/bin/python
"""Module vdc.infra.vnic_profile_info: vNIC profiles, read with the engine's search."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vnic_profile_info
short_description: List vNIC profiles
version_added: 0.1.0
description:
  - Lists vNIC profiles of the engine, optionally filtered with the engine's search language, by id or by name.
  - Options follow M(ovirt.ovirt.ovirt_vnic_profile_info); C(follow) replaces the deprecated C(fetch_nested).
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.info
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: Some vNIC profiles
  vdc.infra.vnic_profile_info:
    name: ovirtmgmt
  register: result

- name: Their names
  ansible.builtin.debug:
    msg: "{{ result.vnic_profiles | map(attribute='name') | list }}"
"""

RETURN = r"""
vnic_profiles:
  description: The vNIC profiles found, each as the engine returns it (JSON, sizes in bytes, dates in epoch ms).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import InfoModule  # noqa: E402


class VnicProfileInfoModule(InfoModule):
    collection = "vnicprofiles"
    result_key = "vnic_profiles"


def main() -> None:
    VnicProfileInfoModule()()


if __name__ == "__main__":
    main()
