"""Module vdc.infra.engine_config: one engine configuration key, as engine-config sets it."""

from __future__ import annotations

DOCUMENTATION = r"""
module: engine_config
short_description: Set an engine configuration key (per cluster level or general), as engine-config does
version_added: 0.1.0
description:
  - Sets a key through the engine's C(/ovirt-engine/api/vdc/engineconfig) API, the same keys
    C(vdc-engine config -s KEY=VALUE --cver=X.Y) sets. The engine uses the value from its next request on;
    no restart.
  - C(UserDefinedVMProperties) and C(PredefinedVMProperties) are C(name=regex;name2=regex) per cluster level,
    the custom properties VMs and templates of that level may have (and VDSM hooks read).
    C(HookScriptTimeoutInSeconds) is general.
  - The value replaces the whole value (as engine-config does). Idempotent; supports check mode and diff.
options:
  name:
    description: The key.
    type: str
    required: true
  value:
    description: Its whole value.
    type: str
    required: true
  version:
    description: The cluster level of a per-level key, such as C(4.7); none for a general key.
    type: str
extends_documentation_fragment:
  - vdc.infra.engine
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: VMs of level 4.7 may ask for NUMA tuning
  vdc.infra.engine_config:
    name: UserDefinedVMProperties
    value: 'numa=^(strict|interleave|preferred):[0-9^,-]+$'
    version: "4.7"
"""

RETURN = r"""
engine_config:
  description: The key as set (name, version, value).
  returned: always
  type: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import EngineModule  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils.vdsmhook import converge_config  # noqa: E402


class EngineConfigModule(EngineModule):
    entity_word = "engine configuration"
    argument_spec = {
        "name": {"type": "str", "required": True},
        "value": {"type": "str", "required": True},
        "version": {"type": "str"},
    }

    def run(self, client) -> dict:
        p = self.params
        return converge_config(client, name=p["name"], value=p["value"], version=p["version"],
                               check_mode=self.module.check_mode)


def main() -> None:
    EngineConfigModule()()


if __name__ == "__main__":
    main()
