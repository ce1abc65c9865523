"""``ansible-test sanity`` on a copy of the collection (ansible-test wants ``ansible_collections/vdc/infra``).

The tests run are every default sanity test that works on this machine without docker:

- with nothing to install: action-plugin-docs, compile, empty-init, ignores, line-endings, no-assert,
  no-get-exception, no-illegal-filenames, no-smart-quotes, replace-urlopen, shebang, symlinks,
  use-argspec-type-path, use-compat-six;
- in ansible-test's own virtualenvs (``~/.ansible/test/venv``; made once per machine, their requirements from
  the package index, pip from the bootstrap in get_pip_offline.py): ansible-doc, import, pep8, pylint,
  runtime-metadata, validate-modules, yamllint.

Left out: changelog (no changelogs/ in the collection), integration-aliases (no integration targets),
pslint and shellcheck (no PowerShell or shell code; they need pwsh and shellcheck). ``--python 3.11``: the
modules need 3.11 (tests/config.yml). Known exceptions are in tests/sanity/ignore-2.19.txt, each explained there.
pylint takes about as long as all the others together, so it runs as a test of its own (pytest-xdist runs
the two side by side).
"""

from __future__ import annotations

import re

import pytest

from tests.quality.collection import BIN, copy_collection, provide_pip_bootstrap, run, tool_env

PLAIN = ["action-plugin-docs", "compile", "empty-init", "ignores", "line-endings", "no-assert", "no-get-exception",
         "no-illegal-filenames", "no-smart-quotes", "replace-urlopen", "shebang", "symlinks", "use-argspec-type-path",
         "use-compat-six"]
IN_VENV = ["ansible-doc", "import", "pep8", "runtime-metadata", "validate-modules", "yamllint"]
GROUPS = {"pylint": ["pylint"], "all-but-pylint": IN_VENV + PLAIN}


@pytest.mark.parametrize("group", GROUPS)
def test_ansible_test_sanity(group, tmp_path):
    provide_pip_bootstrap()
    tree = copy_collection(tmp_path)
    env = tool_env(tmp_path / "home")
    env.pop("ANSIBLE_COLLECTIONS_PATH")  # ansible-test finds the collection from where it runs
    tests = [arg for name in GROUPS[group] for arg in ("--test", name)]
    proc = run([BIN / "ansible-test", "sanity", "--python", "3.11", "--color", "no", *tests], tree, env, timeout=900)
    errors = [line for line in (proc.stdout + proc.stderr).splitlines() if re.match(r"(ERROR|FATAL):", line)]
    assert proc.returncode == 0, "\n".join(errors) or proc.stdout + proc.stderr
