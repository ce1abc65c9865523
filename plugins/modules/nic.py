#!/usr/bin/python
"""Module vdc.infra.nic: a network interface of a VM."""

from __future__ import annotations

DOCUMENTATION = r"""
module: nic
short_description: Manage network interfaces of VMs
version_added: 0.1.0
description:
  - Create, update, plug, unplug and remove VM network interfaces. Options follow M(ovirt.ovirt.ovirt_nic).
options:
  name:
    description: Name of the NIC, for example C(nic1).
    type: str
    required: true
  id:
    description: Id of the NIC.
    type: str
  vm:
    description: VM of the NIC.
    type: str
    required: true
  state:
    description:
      - C(present) or C(absent); C(plugged) and C(unplugged) also set I(plugged).
    type: str
    choices: [present, absent, plugged, unplugged]
    default: present
  network:
    description: Network; the profile defaults to the one named after it.
    type: str
  profile:
    description: vNIC profile.
    type: str
  interface:
    description: Device model.
    type: str
    choices: [virtio, e1000, e1000e, rtl8139, rtl8139_virtio, pci_passthrough, spapr_vlan]
  mac_address:
    description: MAC address; allocated by the engine when not given.
    type: str
  linked:
    description: Link state.
    type: bool
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.wait
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: A second NIC on network app
  vdc.infra.nic:
    name: nic2
    vm: web1
    network: app
    interface: virtio
"""

RETURN = r"""
id:
  description: Id of the NIC (none when absent).
  returned: always
  type: str
nic:
  description: The NIC as the engine returns it.
  returned: when it exists
  type: dict
entity:
  description: Same as RV(nic).
  returned: when it exists
  type: dict
plan:
  description: The steps planned, each with C(op), C(kind), C(entity), C(reason) and C(changes).
  returned: always
  type: list
  elements: dict
diff:
  description: Before and after of every field that changes.
  returned: with --diff
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import ReconcileModule  # noqa: E402

_PLUGGED = {"plugged": True, "unplugged": False}


class NicModule(ReconcileModule):
    kind = "nic"
    argument_spec = {
        "name": {"type": "str", "required": True},
        "vm": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent", "plugged", "unplugged"], "default": "present"},
        "network": {"type": "str"},
        "profile": {"type": "str"},
        "interface": {"type": "str", "choices": ["virtio", "e1000", "e1000e", "rtl8139", "rtl8139_virtio",
                                                 "pci_passthrough", "spapr_vlan"]},
        "mac_address": {"type": "str"},
        "linked": {"type": "bool"},
    }

    @classmethod
    def model_values(cls, params: dict) -> dict:
        values = super().model_values(params)
        if values.get("state") in _PLUGGED:
            values["plugged"] = _PLUGGED[values["state"]]
            values["state"] = "present"
        return values


def main() -> None:
    NicModule()()


if __name__ == "__main__":
    main()
