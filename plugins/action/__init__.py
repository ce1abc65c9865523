"""The action plugins of the engine modules (:mod:`..plugin_utils.engine_action`).

Ansible imports this package before any of its plugins: the collection's code they import is then read with a
bytecode cache (:mod:`..plugin_utils.bytecode`).
"""

from ansible_collections.vdc.infra.plugins.plugin_utils import bytecode

bytecode.install()
