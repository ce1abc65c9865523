"""Scheduling policies, affinity groups and affinity labels through ansible-playbook against a live engine: an
estate with a custom policy used by a cluster, and affinity, converges, then reports changed=0 (the task's
``changed``; the play also writes its result to a file); a changed estate
is planned under --check (nothing changes), applied, and converges again; the per-entity modules and the
``*_info`` modules read back what the estate made."""

from __future__ import annotations

import json

import pytest

from tests.integration.helpers import APPLY_PLAY, EngineApi, playbook_runner

MODULES = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/vdc.infra.engine:
      auth: {url: "{{ engine_url }}", username: admin@internal, password: "{{ engine_password }}"}
  tasks:
    - name: the same policy, declared by the module
      vdc.infra.scheduling_policy:
        name: spread3
        filters: [{name: Memory, position: -1}, {name: CPU}]
        weights: [{name: OptimalForEvenGuestDistribution, factor: 3}]
      register: same
    - name: a weight less, predicted
      vdc.infra.scheduling_policy:
        name: spread3
        weights: []
      check_mode: true
      diff: true
      register: predicted
    - {name: policies, vdc.infra.scheduling_policy_info: {name: "spread*"}, register: policies}
    - {name: units, vdc.infra.scheduling_policy_unit_info: {name: Memory}, register: units}
    - {name: groups, vdc.infra.affinity_group_info: {cluster: sched-c}, register: affinity}
    - {name: labels, vdc.infra.affinity_label_info: {name: fast}, register: labels}
    - name: a new label by the module, twice
      vdc.infra.affinity_label: {name: slow, vms: [sched-vm2]}
      register: label_new
    - vdc.infra.affinity_label: {name: slow, vms: [sched-vm2]}
      register: label_again
    - ansible.builtin.copy:
        content: "{{ {'same': same, 'predicted': predicted, 'policies': policies, 'units': units, 'affinity': affinity,
                      'labels': labels, 'label_new': label_new, 'label_again': label_again} | to_json }}"
        dest: "{{ out }}"
"""


def estate(filters: list, weights: list, balancer: str, high: str, rule: str, label_vms: list) -> dict:
    return {
        "estate": "sched",
        "data_centers": [{"name": "sched-dc", "clusters": [
            {"name": "sched-c", "cpu_type": "Intel Nehalem Family",
             "scheduling_policy": {"name": "spread3", "properties": {"HighVmCount": high}}}]}],
        "vms": [{"name": f"sched-vm{i}", "cluster": "sched-c", "memory": "512MiB"} for i in (1, 2, 3)],
        "scheduling_policies": [{"name": "spread3", "description": "three VMs a host, spread",
                                 "filters": filters, "weights": weights, "balancer": balancer,
                                 "properties": {"HighVmCount": high, "MigrationThreshold": "2"}}],
        "affinity_groups": [{"name": "apart", "cluster": "sched-c", "vm_rule": rule, "vm_enforcing": True,
                             "vms": ["sched-vm1", "sched-vm2"], "priority": 2}],
        "affinity_labels": [{"name": "fast", "description": "fast hosts", "vms": label_vms}],
    }


FIRST = estate([{"name": "Memory", "position": -1}, "CPU"], [{"name": "OptimalForEvenGuestDistribution",
                                                             "factor": 3}],
               "OptimalForEvenGuestDistribution", "3", "negative", ["sched-vm1"])
SECOND = estate(["Memory", "Network"], [{"name": "OptimalForEvenGuestDistribution", "factor": 1},
                                        "OptimalForMemoryEvenDistribution"],
                "OptimalForEvenGuestDistribution", "4", "positive", ["sched-vm2", "sched-vm3"])


@pytest.fixture(scope="module")
def runner(live_engine, tmp_path_factory):
    work = tmp_path_factory.mktemp("scheduling")
    (work / "apply.yml").write_text(APPLY_PLAY)
    (work / "modules.yml").write_text(MODULES)
    return work, playbook_runner(live_engine, work)


def _apply(runner, doc: dict, *args: str) -> tuple[dict, dict, str]:
    work, run = runner
    path = work / "estate.json"
    path.write_text(json.dumps(doc))
    return run("apply.yml", {"estate": str(path)}, *args)


def _names(api: EngineApi, refs: dict | list, collection: str) -> list[str]:
    items = refs if isinstance(refs, list) else next((v for v in refs.values() if isinstance(v, list)), [])
    return sorted(api.get(f"{collection}/{r['id']}")["name"] for r in items)


def test_an_estate_with_a_custom_policy_and_affinity_converges(runner, live_engine):
    api = EngineApi(live_engine)
    out, stats, log = _apply(runner, FIRST)
    assert stats["failed"] == 0 and out["changed"], log
    assert out["counts"]["scheduling_policy"]["created"] == 1 and out["counts"]["affinity_group"]["created"] == 1

    (policy,) = [p for p in api.get("schedulingpolicies")["scheduling_policy"] if p["name"] == "spread3"]
    units = {u["id"]: u["name"] for u in api.get("schedulingpolicyunits")["scheduling_policy_unit"]}
    filters = api.get(f"schedulingpolicies/{policy['id']}/filters")["filter"]
    assert {units[f["id"]]: f["position"] for f in filters} == {"Memory": -1, "CPU": 0}
    (weight,) = api.get(f"schedulingpolicies/{policy['id']}/weights")["weight"]
    assert units[weight["id"]] == "OptimalForEvenGuestDistribution" and weight["factor"] == 3
    (cluster,) = api.find("clusters", "sched-c")
    assert cluster["scheduling_policy"]["id"] == policy["id"]
    assert {p["name"]: p["value"] for p in cluster["custom_scheduling_policy_properties"]["property"]} == {
        "HighVmCount": "3"}
    (group,) = api.get(f"clusters/{cluster['id']}/affinitygroups")["affinity_group"]
    assert group["vms_rule"] == {"enabled": True, "positive": False, "enforcing": True}
    assert _names(api, group["vms"], "vms") == ["sched-vm1", "sched-vm2"]

    out, stats, log = _apply(runner, FIRST)
    assert stats["failed"] == 0 and not out["changed"], [s for s in out["plan"] if s["op"] != "noop"]


def test_a_changed_estate_is_planned_then_applied(runner, live_engine):
    api = EngineApi(live_engine)
    out, stats, log = _apply(runner, SECOND, "--check")
    assert stats["failed"] == 0 and out["changed"], log
    changing = {(s["kind"], s["op"]) for s in out["plan"] if s["op"] != "noop"}
    assert changing == {("scheduling_policy", "update"), ("cluster", "update"), ("affinity_group", "update"),
                        ("affinity_label", "update")}, out["plan"]
    (policy,) = [p for p in api.get("schedulingpolicies")["scheduling_policy"] if p["name"] == "spread3"]
    assert len(api.get(f"schedulingpolicies/{policy['id']}/filters")["filter"]) == 2  # check mode changed nothing

    out, stats, log = _apply(runner, SECOND)
    assert stats["failed"] == 0 and out["changed"], log
    units = {u["id"]: u["name"] for u in api.get("schedulingpolicyunits")["scheduling_policy_unit"]}
    filters = api.get(f"schedulingpolicies/{policy['id']}/filters")["filter"]
    assert {units[f["id"]]: f["position"] for f in filters} == {"Memory": 0, "Network": 0}
    weights = api.get(f"schedulingpolicies/{policy['id']}/weights")["weight"]
    assert {units[w["id"]]: w["factor"] for w in weights} == {"OptimalForEvenGuestDistribution": 1,
                                                              "OptimalForMemoryEvenDistribution": 1}
    (label,) = [lab for lab in api.get("affinitylabels", follow="vms")["affinity_label"] if lab["name"] == "fast"]
    assert _names(api, label["vms"], "vms") == ["sched-vm2", "sched-vm3"]

    out, stats, log = _apply(runner, SECOND)
    assert stats["failed"] == 0 and not out["changed"], [s for s in out["plan"] if s["op"] != "noop"]


def test_the_modules_and_the_info_modules(runner, live_engine):
    work, run = runner
    _apply(runner, FIRST)
    out, stats, log = run("modules.yml", {})
    assert stats["failed"] == 0, log
    assert out["same"]["changed"] is False, out["same"]["plan"]
    predicted = out["predicted"]
    assert predicted["changed"] is True and [s["op"] for s in predicted["plan"]] == ["update"]
    assert predicted["diff"][0]["after"] == {"weights": []}
    assert [p["name"] for p in out["policies"]["scheduling_policies"]] == ["spread3"]
    assert [(u["name"], u["type"]) for u in out["units"]["scheduling_policy_units"]] == [("Memory", "filter")]
    assert [g["name"] for g in out["affinity"]["affinity_groups"]] == ["apart"]
    assert [lab["description"] for lab in out["labels"]["affinity_labels"]] == ["fast hosts"]
    assert out["label_new"]["changed"] is True and out["label_again"]["changed"] is False
