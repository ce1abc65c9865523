#!/usr/bin/python
"""Module vdc.infra.datacenter: a data center, reconciled."""

from __future__ import annotations

DOCUMENTATION = r"""
module: datacenter
short_description: Manage data centers
version_added: 0.1.0
description:
  - Create, update and remove data centers of an oVirt API v4 engine.
  - Options follow M(ovirt.ovirt.ovirt_datacenter); only declared options are compared.
options:
  name:
    description: Name of the data center.
    type: str
    required: true
  id:
    description: Id of the data center; when given, the data center is found by id and may be renamed.
    type: str
  state:
    description: Whether the data center should exist.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Description. C("") makes it empty.
    type: str
  comment:
    description: Comment. C("") makes it empty.
    type: str
  local:
    description: Whether the data center uses local storage (one host, C(localfs) domains).
    type: bool
  compatibility_version:
    description: Compatibility version, for example C("4.7").
    type: str
  quota_mode:
    description: Quota enforcement.
    type: str
    choices: [disabled, audit, enabled]
  force:
    description: With I(state=absent), remove the data center even when it has active storage domains.
    type: bool
    default: false
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.wait
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: A data center for the lab
  vdc.infra.datacenter:
    name: dc-lab
    compatibility_version: "4.7"
    description: Lab

- name: Remove it
  vdc.infra.datacenter:
    name: dc-lab
    state: absent
"""

RETURN = r"""
id:
  description: Id of the data center (none when absent).
  returned: always
  type: str
data_center:
  description: The data center as the engine returns it (the shape of M(vdc.infra.datacenter_info)).
  returned: when it exists
  type: dict
entity:
  description: Same as RV(data_center).
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


class DataCenterModule(ReconcileModule):
    kind = "data_center"
    argument_spec = {
        "name": {"type": "str", "required": True},
        "description": {"type": "str"},
        "comment": {"type": "str"},
        "local": {"type": "bool"},
        "compatibility_version": {"type": "str"},
        "quota_mode": {"type": "str", "choices": ["disabled", "audit", "enabled"]},
        "force": {"type": "bool", "default": False},
    }


def main() -> None:
    DataCenterModule()()


if __name__ == "__main__":
    main()
