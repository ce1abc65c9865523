"""Action plugin of vdc.infra.engine_config: runs it in the controller when possible (plugin_utils/engine_action.py)."""

from __future__ import annotations

from ansible_collections.vdc.infra.plugins.modules import engine_config
from ansible_collections.vdc.infra.plugins.plugin_utils.engine_action import EngineAction


class ActionModule(EngineAction):
    module = engine_config
