"""The estate's ``scheduling_policy_units`` through ``vdc.infra.apply`` against a live engine: the seed's max_vms
plugin read from a file beside the estate (a relative ``src``) and a scheduling policy that names its unit converge
in one run (the plugin is added before the policy), and the second run changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.helpers import APPLY_PLAY, EngineApi, playbook_runner

SEED = Path(__file__).resolve().parents[2] / "playbooks" / "files" / "scheduler_plugins" / "max_vms.py"

# The policy comes first in the document: the plan still adds the plugin before it.
ESTATE = {
    "estate": "units",
    "scheduling_policies": [{"name": "at_most_two", "filters": [{"name": "Memory"}, {"name": "max_vms"}],
                             "properties": [{"name": "maximum_vm_count", "value": "2"}]}],
    "scheduling_policy_units": [{"name": "max_vms", "src": "scheduler_plugins/max_vms.py"}],
}


@pytest.fixture(scope="module")
def apply(live_engine, tmp_path_factory):
    work = tmp_path_factory.mktemp("units")
    (work / "apply.yml").write_text(APPLY_PLAY)
    estate_dir = work / "estate"
    (estate_dir / "scheduler_plugins").mkdir(parents=True)
    (estate_dir / "scheduler_plugins" / "max_vms.py").write_text(SEED.read_text())
    (estate_dir / "state.yml").write_text(json.dumps(ESTATE))
    run = playbook_runner(live_engine, work)
    return lambda *args: run("apply.yml", {"estate": str(estate_dir)}, *args)


def test_scheduling_units_in_an_estate(apply, live_engine):
    out, stats, log = apply()
    assert stats["failed"] == 0 and out["changed"], log
    assert {k: out["counts"][k] for k in ("policy_unit", "scheduling_policy")} == {
        "policy_unit": {"created": 1, "updated": 0, "deleted": 0, "unchanged": 0},
        "scheduling_policy": {"created": 1, "updated": 0, "deleted": 0, "unchanged": 0}}, out["counts"]
    api = EngineApi(live_engine)
    (plugin,) = api.get("vdc/schedulerplugins")["scheduler_plugin"]
    assert plugin["name"] == "max_vms" and plugin["content"] == SEED.read_text()
    (unit,) = plugin["units"]
    (policy,) = [p for p in api.get("schedulingpolicies")["scheduling_policy"] if p["name"] == "at_most_two"]
    filters = api.get(f"schedulingpolicies/{policy['id']}/filters")["filter"]
    assert unit["id"] in {f["scheduling_policy_unit"]["id"] for f in filters}

    out, stats, log = apply()
    assert stats["failed"] == 0 and stats["changed"] == 0 and not out["changed"], [
        s for s in out["plan"] if s["op"] != "noop"]
