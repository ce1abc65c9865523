"""Action plugin of vdc.infra.vnic_profile_info (plugin_utils/engine_action.py)."""

from __future__ import annotations

from ansible_collections.vdc.infra.plugins.modules import vnic_profile_info
from ansible_collections.vdc.infra.plugins.plugin_utils.engine_action import EngineAction


class ActionModule(EngineAction):
    module = vnic_profile_info
