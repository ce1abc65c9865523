#!/usr/bin/python
"""Module vdc.infra.template: a template made from a VM."""

from __future__ import annotations

DOCUMENTATION = r"""
module: template
short_description: Manage templates
version_added: 0.1.0
description:
  - Create templates from VMs, update and remove them. Options follow M(ovirt.ovirt.ovirt_template).
  - After creating a template the module waits (with I(wait)) until its status is C(ok).
options:
  name:
    description: Name of the template.
    type: str
    required: true
  id:
    description: Id of the template.
    type: str
  state:
    description: Whether the template should exist.
    type: str
    choices: [present, absent]
    default: present
  vm:
    description: VM the template is made from; used when creating only.
    type: str
  cluster:
    description: Cluster of the template; used when creating only.
    type: str
  description:
    description: Description.
    type: str
  comment:
    description: Comment.
    type: str
  memory:
    description: Memory, as an IEC size such as C(2GiB).
    type: str
  cpu_cores:
    description: Cores per socket.
    type: int
  cpu_sockets:
    description: Sockets.
    type: int
extends_documentation_fragment:
  - vdc.infra.engine
  - vdc.infra.engine.wait
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: A template from a prepared VM
  vdc.infra.template:
    name: el9-base
    vm: el9-golden
    description: Enterprise Linux 9
"""

RETURN = r"""
id:
  description: Id of the template (none when absent).
  returned: always
  type: str
template:
  description: The template as the engine returns it (the shape of M(vdc.infra.template_info)).
  returned: when it exists
  type: dict
entity:
  description: Same as RV(template).
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


class TemplateModule(ReconcileModule):
    kind = "template"
    argument_spec = {
        "name": {"type": "str", "required": True},
        "vm": {"type": "str"},
        "cluster": {"type": "str"},
        "description": {"type": "str"},
        "comment": {"type": "str"},
        "memory": {"type": "str"},
        "cpu_cores": {"type": "int"},
        "cpu_sockets": {"type": "int"},
    }


def main() -> None:
    TemplateModule()()


if __name__ == "__main__":
    main()
