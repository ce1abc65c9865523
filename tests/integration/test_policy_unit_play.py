"""vdc.infra.policy_unit as a play: the seed's max_vms filter added from a file, used by name in a policy made with
vdc.infra.scheduling_policy (with its maximum_vm_count property); a second run changes nothing; a check run of an
edited file predicts the change with a diff of the text and changes nothing; a bad file fails the task with the
engine's reason; state absent is refused while the policy uses the unit, and removes it once the policy is gone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.helpers import EngineApi, playbook_runner

SEED = Path(__file__).resolve().parents[2] / "playbooks" / "files" / "scheduler_plugins" / "max_vms.py"

PLAY = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/vdc.infra.engine:
      auth: {url: "{{ engine_url }}", username: admin@internal, password: "{{ engine_password }}"}
  tasks:
    - name: the max_vms filter
      vdc.infra.policy_unit: {name: max_vms, src: "{{ unit_src }}", state: "{{ unit_state | default('present') }}"}
      register: unit
      ignore_errors: true
    - name: a policy that uses it by name
      vdc.infra.scheduling_policy:
        name: at_most_two
        filters: [{name: Memory}, {name: max_vms}]
        properties: [{name: maximum_vm_count, value: "2"}]
        state: "{{ policy_state | default('present') }}"
      register: policy
    - name: results
      ansible.builtin.copy:
        content: "{{ {'unit': unit, 'policy': policy} | to_json }}"
        dest: "{{ out }}"
      check_mode: false
      changed_when: false
"""


@pytest.fixture(scope="module")
def play(live_engine, tmp_path_factory):
    work = tmp_path_factory.mktemp("policy-unit-play")
    (work / "units.yml").write_text(PLAY)
    run = playbook_runner(live_engine, work)
    return lambda src, *args, **extra: run("units.yml", {"unit_src": str(src), **extra}, *args)


def test_policy_unit_module(play, live_engine, tmp_path) -> None:
    first, stats, log = play(SEED)
    assert stats["failed"] == 0 and stats["changed"] == 2, log
    units = first["unit"]["scheduler_plugin"]["units"]
    assert [(u["name"], u["type"], u["internal"]) for u in units] == [("max_vms", "filter", False)]
    api = EngineApi(live_engine)
    (policy,) = [p for p in api.get("schedulingpolicies")["scheduling_policy"] if p["name"] == "at_most_two"]
    filters = api.get(f"schedulingpolicies/{policy['id']}/filters")["filter"]
    assert units[0]["id"] in {f["scheduling_policy_unit"]["id"] for f in filters}

    again, stats, log = play(SEED)
    assert stats["failed"] == 0 and stats["changed"] == 0, log

    edited = tmp_path / "max_vms.py"
    edited.write_text(SEED.read_text() + "# tuned\n")
    planned, stats, log = play(edited, "--check", "--diff")
    assert stats["changed"] == 1 and planned["unit"]["changed"] is True, log
    diff = planned["unit"]["diff"]
    assert diff["after"]["content"].endswith("# tuned\n") and not diff["before"]["content"].endswith("# tuned\n")
    assert diff["before"]["units"] == ["max_vms (filter)"]
    assert not api.get("vdc/schedulerplugins")["scheduler_plugin"][0]["content"].endswith("# tuned\n")

    bad = tmp_path / "bad.py"
    bad.write_text("class max_vms:\n    def do_filter(self, h, v, a)\n        print(h)\n")
    failed, stats, log = play(bad)
    assert failed["unit"]["failed"] is True and "syntax error at line 2" in failed["unit"]["msg"], failed["unit"]

    refused, stats, log = play(SEED, unit_state="absent")
    assert refused["unit"]["failed"] is True and "at_most_two" in refused["unit"]["msg"], refused["unit"]
    gone, stats, log = play(SEED, unit_state="absent", policy_state="absent")
    assert gone["unit"]["failed"] is True  # the unit task runs first: still used then
    gone, stats, log = play(SEED, unit_state="absent", policy_state="absent")
    assert gone["unit"].get("failed") is not True and gone["unit"]["changed"] is True, gone["unit"]
    assert api.get("vdc/schedulerplugins")["scheduler_plugin"] == []
