"""vdc.infra.ui_plugin in a real playbook against a live engine: idempotent by digest, check mode and diff."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.integration.helpers import playbook_runner
from tests.webadmin.conftest import PLUGINS, pack

PLAYBOOK = str(Path(__file__).parent / "playbooks" / "ui_plugin.yml")


def test_the_module_installs_configures_and_removes_a_plugin(live_engine, tmp_path):
    archive = tmp_path / "foreman.tgz"
    archive.write_bytes(pack(PLUGINS / "foreman"))
    run = playbook_runner(live_engine, tmp_path)
    out, stats, stdout = run(PLAYBOOK, {"plugin_dir": str(PLUGINS / "foreman"), "plugin_archive": str(archive)})
    assert stats["failed"] == 0, stdout
    assert out["install"]["changed"] is True
    assert out["install"]["ui_plugin"]["order"] == 2
    assert out["again"]["changed"] is False  # the same digest: nothing uploaded
    assert out["again"]["ui_plugin"]["digest"] == out["install"]["ui_plugin"]["digest"]
    planned = out["planned"]
    assert planned["changed"] is True
    assert planned["diff"]["before"]["config"] == {} and planned["diff"]["after"]["config"] == {
        "labels": {"dashboard": "Foreman"}}
    assert out["configured"]["changed"] is True  # check mode had not applied it
    configured = out["configured"]["ui_plugin"]
    assert configured["config"]["labels"] == {"dashboard": "Foreman"}
    assert configured["order"] == 2  # options not given stay as they were
    assert out["disabled"]["ui_plugin"]["enabled"] is False
    assert out["removed"]["changed"] is True and out["removed_again"]["changed"] is False
    base = live_engine.url.split("/ovirt-engine/")[0]
    answer = httpx.get(f"{base}/ovirt-engine/api/vdc/uiplugins/foreman", auth=(live_engine.username,
                                                                              live_engine.password))
    assert answer.status_code == 404
