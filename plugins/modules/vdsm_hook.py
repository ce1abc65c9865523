"""Module vdc.infra.vdsm_hook: a VDSM hook script, deployed by the engine to the hosts it targets."""

from __future__ import annotations

DOCUMENTATION = r"""
module: vdsm_hook
short_description: Add, change or remove a VDSM hook script that the engine deploys to hosts
version_added: 0.1.0
description:
  - Declares a hook script (file name, hook point, content) and its targets through the engine's
    C(/ovirt-engine/api/vdc/hooks) API. The engine keeps it with its sha256, installs it on every target host
    (also on hosts that join or are activated later, before they are up) and removes it with the hook.
  - Idempotent by checksum and targets; supports check mode and diff (the diff shows the script's text).
  - A VM custom property a hook reads must be declared with M(vdc.infra.engine_config)
    (C(UserDefinedVMProperties)).
options:
  name:
    description: The script's file name on the hosts, such as C(50_numa); scripts of a point run in name order.
    type: str
    required: true
  event:
    description: The hook point, such as C(before_vm_start), C(after_vm_migrate_source), C(after_get_stats).
    type: str
    required: true
  src:
    description: A local file holding the script. Mutually exclusive with I(content).
    type: path
  content:
    description: The script itself. Mutually exclusive with I(src).
    type: str
  clusters:
    description: Names of the clusters whose hosts get the script.
    type: list
    elements: str
  hosts:
    description: Names of single hosts that get the script.
    type: list
    elements: str
  state:
    description: Whether the hook should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - vdc.infra.engine
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: NUMA tuning from the VM's numa custom property, on every host of cluster prod
  vdc.infra.vdsm_hook:
    name: 50_numa
    event: before_vm_start
    src: files/hooks/50_numa
    clusters: [prod]

- name: Gone from the engine and from every host
  vdc.infra.vdsm_hook:
    name: 50_numa
    event: before_vm_start
    state: absent
"""

RETURN = r"""
vdsm_hook:
  description: The hook as the engine shows it (sha256, md5, targets, content and per-host status).
  returned: when state is present
  type: dict
deploy_errors:
  description: Hosts that are up but did not take the script, with the agent's error.
  returned: when some host failed
  type: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import EngineModule  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils.vdsmhook import converge_hook, read_content  # noqa: E402


class VdsmHookModule(EngineModule):
    entity_word = "VDSM hook"
    argument_spec = {
        "name": {"type": "str", "required": True},
        "event": {"type": "str", "required": True},
        "src": {"type": "path"},
        "content": {"type": "str"},
        "clusters": {"type": "list", "elements": "str"},
        "hosts": {"type": "list", "elements": "str"},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    }
    module_kwargs = {"mutually_exclusive": [["src", "content"]]}

    def run(self, client) -> dict:
        p = self.params
        content = read_content(p["src"], p["content"]) if p["state"] == "present" else None
        return converge_hook(client, name=p["name"], event=p["event"], content=content, clusters=p["clusters"],
                             hosts=p["hosts"], state=p["state"], check_mode=self.module.check_mode)


def main() -> None:
    VdsmHookModule()()


if __name__ == "__main__":
    main()
