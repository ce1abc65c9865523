#!/usr/bin/python
"""Module vdc.infra.api_info: the engine's product version and summary."""

from __future__ import annotations

DOCUMENTATION = r"""
module: api_info
short_description: Read the engine's API root (product version, summary)
version_added: 0.1.0
description:
  - Returns the API root document, as M(ovirt.ovirt.ovirt_api_info) does.
extends_documentation_fragment:
  - vdc.infra.engine
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: Which engine is this?
  vdc.infra.api_info:
  register: api

- ansible.builtin.debug:
    msg: "{{ api.api.product_info.version.full_version }}"
"""

RETURN = r"""
api:
  description: The API root with C(product_info), C(special_objects), C(summary) and C(time).
  returned: always
  type: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import EngineModule  # noqa: E402


class ApiInfoModule(EngineModule):
    def run(self, client) -> dict:
        return {"changed": False, "api": client.system()}


def main() -> None:
    ApiInfoModule()()


if __name__ == "__main__":
    main()
