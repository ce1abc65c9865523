"""Action plugin of vdc.infra.host_info: runs it in the controller when possible (plugin_utils/engine_action.py)."""

from __future__ import annotations

from ansible_collections.vdc.infra.plugins.modules import host_info
from ansible_collections.vdc.infra.plugins.plugin_utils.engine_action import EngineAction


class ActionModule(EngineAction):
    module = host_info
