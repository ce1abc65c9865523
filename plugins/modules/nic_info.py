#!/usr/bin/python
"""Module vdc.infra.nic_info: the NICs of a VM."""

from __future__ import annotations

DOCUMENTATION = r"""
module: nic_info
short_description: List the network interfaces of a VM
version_added: 0.1.0
description:
  - Lists the NICs of one VM, optionally only the one named I(name). Options follow M(ovirt.ovirt.ovirt_nic_info).
# options: generated from plugins/module_utils/module_options.py by `make docs`; declare them there.
options:
  vm:
    description: Name of the VM.
    type: str
    required: true
  name:
    description: Only the NIC with this name (a glob such as C(nic*) is allowed).
    type: str
extends_documentation_fragment:
  - vdc.infra.engine
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: The NICs of web1
  vdc.infra.nic_info:
    vm: web1
  register: result
"""

RETURN = r"""
nics:
  description: The NICs found, as the engine returns them.
  returned: always
  type: list
  elements: dict
"""

import fnmatch  # noqa: E402

from ansible_collections.vdc.infra.plugins.module_utils.errors import VdcError  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils.module import EngineModule  # noqa: E402


class NicInfoModule(EngineModule):
    entity_word = "VM"
    options_of = "nic_info"

    def run(self, client) -> dict:
        vms = client.search("vms", f'name="{self.params["vm"]}"')
        if not vms:
            raise VdcError("does not exist", f"VM '{self.params['vm']}'")
        nics = client.list(f"vms/{vms[0]['id']}/nics")
        if self.params.get("name"):
            nics = [n for n in nics if fnmatch.fnmatch(n.get("name", ""), self.params["name"])]
        return {"changed": False, "nics": nics}


def main() -> None:
    NicInfoModule()()


if __name__ == "__main__":
    main()
