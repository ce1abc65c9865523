"""Action plugin of vdc.infra.storage_domain (plugin_utils/engine_action.py)."""

from __future__ import annotations

from ansible_collections.vdc.infra.plugins.modules import storage_domain
from ansible_collections.vdc.infra.plugins.plugin_utils.engine_action import EngineAction


class ActionModule(EngineAction):
    module = storage_domain
