"""Run a module's ``main()`` inside the controller process, with what a module process would get and give.

A module process receives its arguments as JSON in Ansible's serialization profile, and prints its result as JSON
before it exits. :func:`run_module` does the same in-process: the arguments are encoded with the profile's
encoder and put where ``AnsibleModule`` reads them, the module's ``main()`` runs with its standard output and
error captured and its exit caught, and an exception that escapes the module is reported by Ansible's own module
exception handler. The caller parses the captured output exactly as it parses a module process's
(``ActionBase._parse_returned_data``), so arguments, results, failures, warnings and ``no_log`` go through the same
code either way. The state ``ansible.module_utils`` keeps per process (the arguments, the warnings and
deprecations collected) is reset around each run, so the items of a loop do not see each other's.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from typing import Any

from ansible.module_utils import basic
from ansible.module_utils.common import warnings
from ansible.module_utils.common.json import Direction, get_module_encoder

# What modules without METADATA are built with (executor.module_common's default); vdc's modules declare none.
PROFILE = "legacy"


@contextmanager
def _environment(extra: dict[str, str]) -> Iterator[None]:
    """The task's ``environment`` over the process's, as a module process would inherit it."""
    saved = {key: os.environ.get(key) for key in extra}
    os.environ.update({key: str(value) for key, value in extra.items()})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _reset() -> None:
    basic._ANSIBLE_ARGS = None
    basic._ANSIBLE_PROFILE = None
    basic._PARSED_MODULE_ARGS = None
    warnings._global_warnings.clear()
    warnings._global_deprecations.clear()


def _report_exception(exception: Exception) -> None:
    """Report an exception that escaped the module as the module wrapper does (prints the result, exits)."""
    from ansible.module_utils._internal._ansiballz._loader import _handle_exception

    _handle_exception(exception, PROFILE)


def run_module(main: Callable[[], Any], args: dict[str, Any], environment: dict[str, str]) -> dict[str, Any]:
    """Run ``main`` with ``args`` (the module's arguments, ``_ansible_*`` included); returns ``rc``, ``stdout``
    and ``stderr`` as a module process's execution does."""
    encoded = json.dumps({"ANSIBLE_MODULE_ARGS": args}, cls=get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE))
    out, err = io.StringIO(), io.StringIO()
    rc: Any = 0
    _reset()
    basic._ANSIBLE_ARGS = encoded.encode()
    basic._ANSIBLE_PROFILE = PROFILE
    try:
        with _environment(environment), redirect_stdout(out), redirect_stderr(err):
            try:
                try:
                    main()
                    raise RuntimeError("New-style module did not handle its own exit.")
                except Exception as exception:
                    _report_exception(exception)
            except SystemExit as done:
                rc = done.code
    finally:
        _reset()
    if rc is None:
        rc = 0
    elif not isinstance(rc, int):
        err.write(f"{rc}\n")
        rc = 1
    return {"rc": rc, "stdout": out.getvalue(), "stderr": err.getvalue()}
