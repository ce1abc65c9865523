"""The action plugin of every engine module: the module runs in the controller process when it would run there.

Each module of the ``engine`` action group has a file in ``plugins/action/`` of the same name whose
``ActionModule`` subclasses :class:`EngineAction` and names the module. Ansible then calls that action plugin
for the module's tasks. When the module would execute on the controller anyway (the task's connection is
``local``: ``hosts: localhost``, ``connection: local``, ``delegate_to: localhost``), with no ``become`` and no
``async``, the action runs the module's ``main()`` in the task's worker process (:mod:`.module_runner`) instead of
starting a Python interpreter for it; otherwise (``delegate_to`` another host, ``become``, ``async``) it executes
the module as Ansible's ``normal`` action does. The variable ``vdc_in_controller: false`` forces the module
process everywhere.

In the controller, the module's imports (pydantic, the models) are paid once: Ansible's strategy loads the action
plugin class, and with it the module, in the main process before it forks a worker per task. The engine session
comes from :mod:`.token_cache`: one login per engine and user for the whole run and connections kept across the
items of a loop.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Sequence
from types import ModuleType
from typing import Any, ClassVar

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible.utils.display import Display
from ansible.vars.clean import remove_internal_keys
from ansible_collections.vdc.infra.plugins.module_utils import auth
from ansible_collections.vdc.infra.plugins.plugin_utils import token_cache
from ansible_collections.vdc.infra.plugins.plugin_utils.module_runner import PROFILE, run_module

SWITCH = "vdc_in_controller"
display = Display()

_sessions: tuple[int, token_cache.ControllerSessions] | None = None


def sessions() -> token_cache.ControllerSessions:
    """This process's sessions; a forked worker makes its own (its parent's connections are not its own)."""
    global _sessions
    if _sessions is None or _sessions[0] != os.getpid():
        _sessions = (os.getpid(), token_cache.ControllerSessions(token_cache.RUN_CACHE))
    return _sessions[1]


class EngineAction(NormalAction):
    """Runs ``module`` in the controller process when the task executes locally (see the module docstring)."""

    module: ClassVar[ModuleType]

    def in_controller(self, module_name: str | None, wrap_async: bool, task_vars: dict[str, Any] | None) -> bool:
        if module_name not in (None, self._task.action) or wrap_async or self._task.async_val:
            return False
        if getattr(self._connection, "transport", None) != "local" or getattr(self._connection, "become", None):
            return False
        switch = (task_vars or {}).get(SWITCH, True)
        if isinstance(switch, str):
            switch = self._templar.template(switch)
        return boolean(switch, strict=False)

    def _execute_module(self, module_name: str | None = None, module_args: dict[str, Any] | None = None,
                        tmp: Any = None, task_vars: dict[str, Any] | None = None, persist_files: bool = False,
                        delete_remote_tmp: Any = None, wrap_async: bool = False,
                        ignore_unknown_opts: bool = False) -> dict[str, Any]:
        if not self.in_controller(module_name, wrap_async, task_vars):
            return super()._execute_module(module_name=module_name, module_args=module_args, tmp=tmp,
                                           task_vars=task_vars, persist_files=persist_files,
                                           delete_remote_tmp=delete_remote_tmp, wrap_async=wrap_async,
                                           ignore_unknown_opts=ignore_unknown_opts)
        module_name = self._task.action
        module_args = self._task.args if module_args is None else module_args
        self._update_module_args(module_name, module_args, task_vars or {}, ignore_unknown_opts=ignore_unknown_opts)
        environment: dict[str, str] = {}
        self._compute_environment_string(environment)
        display.vvv(f"Running {self.module.__name__.rsplit('.', 1)[-1]} in the controller process",
                    host=self._play_context.remote_addr)
        if multiprocessing.current_process().name != "MainProcess":
            # A task's worker is forked from the controller and ends with the task: what it inherited is never
            # garbage, but every full collection (a large engine answer triggers some) would scan it all again.
            gc.freeze()
        auth.SESSIONS = sessions()
        try:
            res = run_module(self.module.main, module_args, environment)
        finally:
            auth.SESSIONS = None
        return self._as_module_result(self._parse_returned_data(res, PROFILE))

    @staticmethod
    def _as_module_result(data: dict[str, Any]) -> dict[str, Any]:
        """What ``ActionBase._execute_module`` does with a module's parsed output before returning it."""
        data.pop("_ansible_suppress_tmpdir_delete", None)
        results = data.get("results")
        if "results" in data and (not isinstance(results, Sequence) or isinstance(results, str)):
            data["ansible_module_results"] = data.pop("results")
            display.warning("Found internal 'results' key in module return, renamed to 'ansible_module_results'.")
        remove_internal_keys(data)
        for key in ("stdout", "stderr"):
            if key in data and f"{key}_lines" not in data:
                data[f"{key}_lines"] = (data.get(key) or "").splitlines()
        return data
