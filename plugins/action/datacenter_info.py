"""Action plugin of vdc.infra.datacenter_info (plugin_utils/engine_action.py)."""

from __future__ import annotations

from ansible_collections.vdc.infra.plugins.modules import datacenter_info
from ansible_collections.vdc.infra.plugins.plugin_utils.engine_action import EngineAction


class ActionModule(EngineAction):
    module = datacenter_info
