"""ansible-lint (profile ``production``, configuration in ``.ansible-lint``) on the playbooks, roles, molecule
scenarios and test playbooks, with this checkout's collection; offline, so nothing is installed from Galaxy."""

from __future__ import annotations

from tests.quality.collection import BIN, ROOT, run, tool_env

TARGETS = ("playbooks", "roles", "molecule", "tests/integration/playbooks")


def test_ansible_lint(tmp_path):
    targets = [t for t in TARGETS if (ROOT / t).exists()]
    assert targets
    # ANSIBLE_HOME in tmp_path: a copy of vdc.infra installed under ~/.ansible (molecule's prerun makes one) must
    # not shadow the checkout.
    proc = run([BIN / "ansible-lint", "--nocolor", "-f", "pep8", *targets], ROOT, tool_env(tmp_path / "home"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
