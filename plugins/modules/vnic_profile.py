#!/usr/bin/python
"""Module vdc.infra.vnic_profile: a vNIC profile of a network."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vnic_profile
short_description: Manage vNIC profiles
version_added: 0.1.0
description:
  - Create, update and remove vNIC profiles. Options follow M(ovirt.ovirt.ovirt_vnic_profile).
options:
  name:
    description: Name of the profile.
    type: str
    required: true
  id:
    description: Id of the profile; when given, the profile is found by id.
    type: str
  state:
    description: Whether the profile should exist.
    type: str
    choices: [present, absent]
    default: present
  network:
    description: Network of the profile. Required to create one; cannot change later.
    type: str
  data_center:
    description: Data center of the network, when network names repeat across data centers.
    type: str
  description:
    description: Description.
    type: str
  port_mirroring:
    description: Mirror the traffic of the VM's NIC.
    type: bool
  migratable:
    description: Whether a passthrough NIC may migrate.
    type: bool
  pass_through:
    description: Passthrough mode.
    type: str
    choices: [disabled, enabled]
  custom_properties:
    description:
      - Properties sent to the host's hooks, compared as a set. C([]) removes them all.
    type: list
    elements: dict
    suboptions:
      name: {description: Property name., type: str, required: true}
      value: {description: Property value., type: str, required: true}
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.wait
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: A mirrored profile on network app
  vdc.infra.vnic_profile:
    name: app-mirror
    network: app
    data_center: dc-lab
    port_mirroring: true
"""

RETURN = r"""
id:
  description: Id of the profile (none when absent).
  returned: always
  type: str
vnic_profile:
  description: The profile as the engine returns it (the shape of M(vdc.infra.vnic_profile_info)).
  returned: when it exists
  type: dict
entity:
  description: Same as RV(vnic_profile).
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


class VnicProfileModule(ReconcileModule):
    kind = "vnic_profile"
    argument_spec = {
        "name": {"type": "str", "required": True},
        "network": {"type": "str"},
        "data_center": {"type": "str"},
        "description": {"type": "str"},
        "port_mirroring": {"type": "bool"},
        "migratable": {"type": "bool"},
        "pass_through": {"type": "str", "choices": ["disabled", "enabled"]},
        "custom_properties": {"type": "list", "elements": "dict", "options": {
            "name": {"type": "str", "required": True}, "value": {"type": "str", "required": True}}},
    }


def main() -> None:
    VnicProfileModule()()


if __name__ == "__main__":
    main()
