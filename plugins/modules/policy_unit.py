#!/usr/bin/python
"""Module vdc.infra.policy_unit: external scheduling units from a Python file in the scheduler proxy's format."""

from __future__ import annotations

DOCUMENTATION = r"""
module: policy_unit
short_description: Add, replace or remove external scheduling units (a Python file of filters, weights, balancers)
version_added: 0.1.0
description:
  - Declares a Python file in the oVirt scheduler proxy's plugin format through the engine's
    C(/ovirt-engine/api/vdc/schedulerplugins) API. The engine analyses it in a sandboxed worker and registers
    each class with C(do_filter(self, hosts_ids, vm_id, args_map)), C(do_score(self, hosts_ids, vm_id, args_map))
    or C(do_balance(self, hosts_ids, args_map)) as a policy unit named after the class (its method's docstring
    is the description, its C(properties_validation) C(key=regex;key2=regex) the properties).
  - The units are then usable by name in M(vdc.infra.scheduling_policy); a cluster's policy properties reach
    them as C(args_map).
  - Idempotent by the file's sha256; supports check mode and diff (the diff shows the file's text and units).
  - A file the engine refuses (a syntax error, no unit class, a malformed C(properties_validation)) fails the
    task with the engine's reason and registers nothing; a file or unit that a policy uses cannot be removed.
# options: generated from plugins/module_utils/module_options.py by `make docs`; declare them there.
options:
  name:
    description: The plugin's module name, such as C(max_vms) (a trailing C(.py) is dropped).
    type: str
    required: true
  src:
    description: A local file holding the plugin. Mutually exclusive with I(content).
    type: path
  content:
    description: The plugin's source itself. Mutually exclusive with I(src).
    type: str
  state:
    description: Whether the plugin (and its units) should exist.
    type: str
    default: present
    choices: [present, absent]
extends_documentation_fragment:
  - vdc.infra.engine
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: The max_vms filter, usable in scheduling policies
  vdc.infra.policy_unit:
    name: max_vms
    src: files/scheduler_plugins/max_vms.py

- name: A policy that uses it, and a cluster that sets its property
  vdc.infra.scheduling_policy:
    name: three_per_host
    filters:
      - name: Memory
      - name: max_vms
    properties:
      maximum_vm_count: "3"

- name: Gone (refused while a policy uses one of its units)
  vdc.infra.policy_unit:
    name: max_vms
    state: absent
"""

RETURN = r"""
scheduler_plugin:
  description: The plugin as the engine shows it (id, name, sha256, content and the units it registered).
  returned: when state is present
  type: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import EngineModule  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils.policyunit import converge_policy_unit  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils.vdsmhook import read_content  # noqa: E402


class PolicyUnitModule(EngineModule):
    entity_word = "scheduler plugin"
    options_of = "policy_unit"
    module_kwargs = {"mutually_exclusive": [["src", "content"]]}

    def run(self, client) -> dict:
        p = self.params
        content = read_content(p["src"], p["content"]) if p["state"] == "present" else None
        return converge_policy_unit(client, name=p["name"], content=content, state=p["state"],
                                    check_mode=self.module.check_mode)


def main() -> None:
    PolicyUnitModule()()


if __name__ == "__main__":
    main()
