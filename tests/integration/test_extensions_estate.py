"""The estate's ``engine_config`` and ``vdsm_hooks`` through ``vdc.infra.apply`` against a live engine: a custom
property declared, a hook read from a file beside the estate (a relative ``src``) and a VM that uses the property
converge in one run (the configuration is set before the VM is created), the second run changes nothing, and an
edited script is planned under --check --diff, then applied."""

from __future__ import annotations

import json

import pytest

from tests.integration.helpers import APPLY_PLAY, EngineApi, playbook_runner

SCRIPT = "#!/bin/sh\n# vdc test hook: leaves the domain XML as it is\nexit 0\n"
ESTATE = {
    "estate": "ext",
    "engine_config": [{"name": "UserDefinedVMProperties", "version": "4.7", "value": "extprop=^(on|off)$"}],
    "vdsm_hooks": [{"name": "50_ext", "event": "before_vm_start", "src": "hooks/50_ext", "clusters": ["Default"]}],
    "vms": [{"name": "ext-vm", "cluster": "Default", "memory": "256MiB", "custom_properties": {"extprop": "on"}}],
}


@pytest.fixture(scope="module")
def apply(live_engine, tmp_path_factory):
    work = tmp_path_factory.mktemp("ext")
    (work / "apply.yml").write_text(APPLY_PLAY)
    estate_dir = work / "estate"
    (estate_dir / "hooks").mkdir(parents=True)
    (estate_dir / "state.yml").write_text(json.dumps(ESTATE))
    run = playbook_runner(live_engine, work)
    return estate_dir, lambda *args: run("apply.yml", {"estate": str(estate_dir)}, *args)


def test_hooks_and_engine_config_in_an_estate(apply, live_engine):
    estate_dir, run = apply
    (estate_dir / "hooks" / "50_ext").write_text(SCRIPT)
    out, stats, log = run()
    assert stats["failed"] == 0 and out["changed"], log
    assert {k: out["counts"][k] for k in ("engine_config", "vdsm_hook")} == {
        "engine_config": {"created": 0, "updated": 1, "deleted": 0, "unchanged": 0},
        "vdsm_hook": {"created": 1, "updated": 0, "deleted": 0, "unchanged": 0}}, out["counts"]
    api = EngineApi(live_engine)
    (hook,) = [h for h in api.get("vdc/hooks")["vdsm_hook"] if h["name"] == "50_ext"]
    assert hook["content"] == SCRIPT and [c["name"] for c in hook["clusters"]] == ["Default"]
    (vm,) = api.find("vms", "ext-vm")
    assert vm["custom_properties"]["custom_property"] == [{"name": "extprop", "value": "on"}]

    out, stats, log = run()
    assert stats["failed"] == 0 and not out["changed"], [s for s in out["plan"] if s["op"] != "noop"]

    (estate_dir / "hooks" / "50_ext").write_text(SCRIPT + "# tuned\n")
    out, stats, log = run("--check", "--diff")
    assert [(s["kind"], s["op"]) for s in out["plan"] if s["op"] != "noop"] == [("vdsm_hook", "update")]
    assert "# tuned" in log
    assert [h for h in api.get("vdc/hooks")["vdsm_hook"] if h["name"] == "50_ext"][0]["content"] == SCRIPT
    out, stats, log = run()
    assert stats["failed"] == 0 and out["changed"], log
    assert [h for h in api.get("vdc/hooks")["vdsm_hook"] if h["name"] == "50_ext"][0]["content"].endswith("# tuned\n")
