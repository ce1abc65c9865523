#!/usr/bin/python
"""Module vdc.infra.ui_plugin: a UI plugin of the administration portal, as a managed artifact."""

from __future__ import annotations

DOCUMENTATION = r"""
module: ui_plugin
short_description: Install, configure, enable, disable or remove a UI plugin of the administration portal
version_added: 0.1.0
description:
  - Installs a UI plugin (an oVirt-compatible descriptor and its resources) through the engine's
    C(/ovirt-engine/api/vdc/uiplugins) API, and sets its user configuration.
  - Idempotent by content digest; an unchanged plugin is not uploaded again. Supports check mode and diff.
# options: generated from plugins/module_utils/module_options.py by `make docs`; declare them there.
options:
  name:
    description: Name of the plugin; taken from the descriptor in I(src) when omitted.
    type: str
  src:
    description:
      - A directory holding the descriptor (one C(*.json)) and its C(resourcePath) directory,
        or an archive (tar, tar.gz, zip) of the same. Needed to install; optional to reconfigure
        an installed plugin.
    type: path
  config:
    description: The user configuration's C(config); each top-level key replaces the descriptor's
      wholesale.
    type: dict
  enabled:
    description: Whether the portal loads the plugin.
    type: bool
  order:
    description: Load order (ascending); plugins without one load last.
    type: int
  state:
    description: Whether the plugin should be installed.
    type: str
    default: present
    choices: [present, absent]
extends_documentation_fragment:
  - vdc.infra.engine
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: The Foreman plugin, first to load, with its own Foreman URL
  vdc.infra.ui_plugin:
    src: files/foreman
    config:
      url: https://foreman.example.com
    order: 0

- name: Keep it installed but out of the portal
  vdc.infra.ui_plugin:
    name: foreman
    enabled: false
"""

RETURN = r"""
ui_plugin:
  description: The plugin as the engine shows it (descriptor fields, user configuration, merged config, digest).
  returned: when state is present
  type: dict
"""

from ansible_collections.vdc.infra.plugins.module_utils.module import EngineModule  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils.uiplugin import converge  # noqa: E402


class UiPluginModule(EngineModule):
    entity_word = "UI plugin"
    options_of = "ui_plugin"
    module_kwargs = {"required_one_of": [["name", "src"]]}

    def run(self, client) -> dict:
        p = self.params
        return converge(client, name=p["name"], src=p["src"], config=p["config"], enabled=p["enabled"],
                        order=p["order"], state=p["state"], check_mode=self.module.check_mode)


def main() -> None:
    UiPluginModule()()


if __name__ == "__main__":
    main()
