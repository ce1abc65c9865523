#!/usr/bin/python
"""Module vdc.infra.network: a logical network and its assignment to clusters."""

from __future__ import annotations

DOCUMENTATION = r"""
module: network
short_description: Manage logical networks
version_added: 0.1.0
description:
  - Create, update and remove logical networks of a data center, and assign them to clusters.
    Options follow M(ovirt.ovirt.ovirt_network).
  - A VM network gets a vNIC profile named after it, created by the engine.
options:
  name:
    description: Name of the network.
    type: str
    required: true
  id:
    description: Id of the network; when given, the network is found by id.
    type: str
  state:
    description: Whether the network should exist.
    type: str
    choices: [present, absent]
    default: present
  data_center:
    description: Data center of the network; names are unique per data center.
    type: str
    required: true
  description:
    description: Description.
    type: str
  comment:
    description: Comment.
    type: str
  vlan_tag:
    description:
      - VLAN tag, 0 to 4094. C("") removes the tag (no magic C(-1)).
    type: raw
  vm_network:
    description: The network carries VM traffic.
    type: bool
  mtu:
    description: MTU; 0 means the default.
    type: int
  clusters:
    description:
      - Clusters the network is assigned to. Clusters not listed are left alone.
    type: list
    elements: dict
    suboptions:
      name: {description: Cluster name., type: str, required: true}
      assigned: {description: Whether the network is assigned to the cluster., type: bool, default: true}
      required: {description: Hosts of the cluster must have it., type: bool}
      display: {description: Carries display traffic., type: bool}
      migration: {description: Carries migration traffic., type: bool}
      gluster: {description: Carries Gluster traffic., type: bool}
      default_route: {description: Holds the default route., type: bool}
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.wait
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: An application VLAN on cluster c1
  vdc.infra.network:
    name: app
    data_center: dc-lab
    vlan_tag: 120
    clusters:
      - name: c1
        required: false

- name: Remove the VLAN tag
  vdc.infra.network:
    name: app
    data_center: dc-lab
    vlan_tag: ""
"""

RETURN = r"""
id:
  description: Id of the network (none when absent).
  returned: always
  type: str
network:
  description: The network as the engine returns it (the shape of M(vdc.infra.network_info)).
  returned: when it exists
  type: dict
entity:
  description: Same as RV(network).
  returned: when it exists
  type: dict
plan:
  description: The steps planned, each with C(op), C(kind), C(entity), C(reason) and C(changes).
  returned: always
  type: list
  elements: dict
diff:
  description: Before and after of every field that changes, cluster assignments included.
  returned: with --diff
  type: list
  elements: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import ReconcileModule  # noqa: E402


class NetworkModule(ReconcileModule):
    kind = "network"
    argument_spec = {
        "name": {"type": "str", "required": True},
        "data_center": {"type": "str", "required": True},
        "description": {"type": "str"},
        "comment": {"type": "str"},
        "vlan_tag": {"type": "raw"},
        "vm_network": {"type": "bool"},
        "mtu": {"type": "int"},
        "clusters": {"type": "list", "elements": "dict", "options": {
            "name": {"type": "str", "required": True},
            "assigned": {"type": "bool", "default": True},
            "required": {"type": "bool"}, "display": {"type": "bool"}, "migration": {"type": "bool"},
            "gluster": {"type": "bool"}, "default_route": {"type": "bool"}}},
    }

    @classmethod
    def model_values(cls, params: dict) -> dict:
        values = super().model_values(params)
        if values.get("clusters"):
            values["clusters"] = [{k: v for k, v in c.items() if v is not None} for c in values["clusters"]]
        return values


def main() -> None:
    NetworkModule()()


if __name__ == "__main__":
    main()
