"""The estate's ``ui_plugins`` through ``vdc.infra.apply`` against a live engine: the sample Foreman plugin read from
a directory beside the estate (a relative ``src``) is installed and configured in one run, the second run changes
nothing (compared by content digest), the same plugin given as an archive is still unchanged, and ``--check`` on a
changed configuration predicts the change without making it."""

from __future__ import annotations

import json
import shutil

import httpx
import pytest

from tests.integration.helpers import APPLY_PLAY, EngineApi, playbook_runner
from tests.webadmin.conftest import PLUGINS, pack

FOREMAN = {"src": "plugins/foreman", "config": {"labels": {"dashboard": "Foreman"}}, "order": 2}


@pytest.fixture(scope="module")
def estate(live_engine, tmp_path_factory):
    work = tmp_path_factory.mktemp("uiplugins")
    (work / "apply.yml").write_text(APPLY_PLAY)
    estate_dir = work / "estate"
    shutil.copytree(PLUGINS / "foreman", estate_dir / "plugins" / "foreman")
    (estate_dir / "plugins" / "foreman.tgz").write_bytes(pack(PLUGINS / "foreman"))
    run = playbook_runner(live_engine, work)

    def apply(plugin: dict, *args: str) -> tuple[dict, dict, str]:
        if plugin.get("_edit"):  # a new version of the plugin: one of its resources changed
            page = estate_dir / "plugins" / "foreman" / "foreman-files" / "start.html"
            page.write_text(page.read_text() + "<!-- v2 -->\n")
            plugin = {k: v for k, v in plugin.items() if k != "_edit"}
        (estate_dir / "state.yml").write_text(json.dumps({"estate": "portal", "ui_plugins": [plugin]}))
        return run("apply.yml", {"estate": str(estate_dir)}, *args)
    return apply


def api_page(live) -> str:
    base = live.url.split("/ovirt-engine/")[0]
    return httpx.get(f"{base}/ovirt-engine/webadmin/plugin/foreman/start.html").text


def counts(out: dict) -> dict:
    return out["counts"]["ui_plugin"]


def test_ui_plugins_in_an_estate(estate, live_engine):
    api = EngineApi(live_engine)
    out, stats, log = estate(FOREMAN)
    assert stats["failed"] == 0 and out["changed"], log
    assert counts(out) == {"created": 1, "updated": 0, "deleted": 0, "unchanged": 0}, out["counts"]
    plugin = api.get("vdc/uiplugins/foreman")
    assert plugin["user_config"] == {"config": {"labels": {"dashboard": "Foreman"}}, "enabled": True, "order": 2}
    assert plugin["config"]["labels"] == {"dashboard": "Foreman"}  # the user's key replaces the descriptor's
    digest = plugin["digest"]

    out, stats, log = estate(FOREMAN)
    assert stats["failed"] == 0 and stats["changed"] == 0 and not out["changed"], [
        s for s in out["plan"] if s["op"] != "noop"]
    out, stats, log = estate({**FOREMAN, "src": "plugins/foreman.tgz"})  # the same content, packed
    assert stats["failed"] == 0 and not out["changed"], [s for s in out["plan"] if s["op"] != "noop"]

    changed = {**FOREMAN, "config": {"url": "https://foreman.example.com"}, "enabled": False}
    out, stats, log = estate(changed, "--check")
    assert stats["failed"] == 0 and out["changed"], log
    assert counts(out) == {"created": 0, "updated": 1, "deleted": 0, "unchanged": 0}, out["counts"]
    (step,) = [s for s in out["plan"] if s["op"] != "noop"]
    assert step["entity"] == "UI plugin 'foreman'" and set(step["changes"]) == {"config", "enabled"}, step
    assert step["changes"]["config"]["after"] == {"url": "https://foreman.example.com"}
    plugin = api.get("vdc/uiplugins/foreman")
    assert plugin["user_config"]["config"] == {"labels": {"dashboard": "Foreman"}} and plugin["enabled"] is True

    out, stats, log = estate(changed)
    assert stats["failed"] == 0 and out["changed"], log
    plugin = api.get("vdc/uiplugins/foreman")
    assert plugin["user_config"] == {"config": {"url": "https://foreman.example.com"}, "enabled": False, "order": 2}
    assert plugin["digest"] == digest  # not uploaded again
    out, stats, log = estate(changed)
    assert stats["failed"] == 0 and not out["changed"], [s for s in out["plan"] if s["op"] != "noop"]

    out, stats, log = estate({**changed, "_edit": True})  # new content: uploaded, its configuration kept
    assert stats["failed"] == 0 and out["changed"], log
    (step,) = [s for s in out["plan"] if s["op"] != "noop"]
    assert set(step["changes"]) == {"digest"}, step
    plugin = api.get("vdc/uiplugins/foreman")
    assert plugin["digest"] != digest and plugin["digest"] == step["changes"]["digest"]["after"]
    assert plugin["user_config"] == {"config": {"url": "https://foreman.example.com"}, "enabled": False, "order": 2}
    assert "v2" in api_page(live_engine)
