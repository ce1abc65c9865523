#!/usr/bin/python
"""Module vdc.infra.host_hook_info: the hook scripts a host really has."""

from __future__ import annotations

DOCUMENTATION = r"""
module: host_hook_info
short_description: List the VDSM hook scripts installed on a host, with their checksums
version_added: 0.1.0
description:
  - Reads oVirt's C(/hosts/{id}/hooks), which shows what the host's agent reports it has on disk (managed by
    the engine or put there by hand), with the script's MD5.
# options: generated from plugins/module_utils/module_options.py by `make docs`; declare them there.
options:
  host:
    description: Name or id of the host.
    type: str
    required: true
extends_documentation_fragment:
  - vdc.infra.engine
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: What hooks lab0 has
  vdc.infra.host_hook_info:
    host: lab0
  register: lab0_hooks
"""

RETURN = r"""
hooks:
  description: The host's hook scripts (event_name, name, md5, id).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import EngineModule  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils.vdsmhook import host_hooks  # noqa: E402


class HostHookInfoModule(EngineModule):
    entity_word = "host"
    options_of = "host_hook_info"

    def run(self, client) -> dict:
        return {"changed": False, "hooks": host_hooks(client, self.params["host"])}


def main() -> None:
    HostHookInfoModule()()


if __name__ == "__main__":
    main()
