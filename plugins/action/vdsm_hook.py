"""Action plugin of vdc.infra.vdsm_hook: runs it in the controller when possible (plugin_utils/engine_action.py)."""

from __future__ import annotations

from ansible_collections.vdc.infra.plugins.modules import vdsm_hook
from ansible_collections.vdc.infra.plugins.plugin_utils.engine_action import EngineAction


class ActionModule(EngineAction):
    module = vdsm_hook
