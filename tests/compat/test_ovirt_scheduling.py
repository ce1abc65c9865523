"""The real ``ovirt.ovirt`` scheduling modules against the engine: ``ovirt_scheduling_policy_info`` finds the
built-in policies, ``ovirt_cluster`` sets a scheduling policy with properties, ``ovirt_affinity_group`` (VM and host
rules) and ``ovirt_affinity_label`` converge, the ``_info`` modules read them back, and the second run changes
nothing."""

from __future__ import annotations

import json
import os

from tests.compat.test_ovirt_collection import VENV, _run, ansible_playbook  # noqa: F401 - the fixture
from tests.integration.helpers import EngineApi

PLAYBOOK = r"""
- name: scheduling with ovirt.ovirt
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: log in
      ovirt.ovirt.ovirt_auth: {url: "{{ engine_url }}", username: "{{ engine_user }}",
                               password: "{{ engine_password }}", insecure: true}
    - name: the estate
      module_defaults:
        group/ovirt.ovirt.ovirt:
          auth: "{{ ovirt_auth }}"
      block:
        - name: the built-in policy
          ovirt.ovirt.ovirt_scheduling_policy_info: {name: evenly_distributed}
          register: policies
        - name: a cluster that uses it
          ovirt.ovirt.ovirt_cluster:
            name: sched_cluster
            data_center: Default
            cpu_type: Intel Nehalem Family
            scheduling_policy: evenly_distributed
            scheduling_policy_properties:
              - {name: HighUtilization, value: "70"}
              - {name: CpuOverCommitDurationMinutes, value: "3"}
        - name: VMs
          ovirt.ovirt.ovirt_vm: {name: "{{ item }}", cluster: sched_cluster, template: Blank, memory: 256MiB}
          loop: [sched_vm1, sched_vm2]
        - name: never together
          ovirt.ovirt.ovirt_affinity_group:
            name: apart
            cluster: sched_cluster
            vm_rule: negative
            vm_enforcing: true
            host_rule: disabled
            vms: [sched_vm1, sched_vm2]
        - name: a label
          ovirt.ovirt.ovirt_affinity_label:
            name: fast
            cluster: sched_cluster
            vms: [sched_vm1]
        - name: labels
          ovirt.ovirt.ovirt_affinity_label_info: {name: fast}
          register: labels
        - name: clusters
          ovirt.ovirt.ovirt_cluster_info: {pattern: "name=sched_cluster", follow: [scheduling_policy]}
          register: clusters
        - name: results
          ansible.builtin.copy:
            content: "{{ {'policies': policies, 'labels': labels, 'clusters': clusters} | to_json }}"
            dest: "{{ out }}"
          changed_when: false
    - name: log out
      ovirt.ovirt.ovirt_auth: {state: absent, ovirt_auth: "{{ ovirt_auth }}"}
"""


def test_scheduling_modules_converge(ansible_playbook, live_engine, tmp_path):  # noqa: F811
    (tmp_path / "estate.yml").write_text(PLAYBOOK)
    (tmp_path / "inventory.ini").write_text("localhost ansible_connection=local\n")
    out = tmp_path / "out.json"
    (tmp_path / "vars.json").write_text(json.dumps({
        "engine_url": live_engine.url, "engine_user": live_engine.username, "engine_password": live_engine.password,
        "out": str(out)}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_PYTHON_INTERPRETER=str(VENV / "bin" / "python"), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_HOME=str(tmp_path / "ansible-home"), ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_DEPRECATION_WARNINGS="0", ANSIBLE_STDOUT_CALLBACK="default", PATH=f"{VENV / 'bin'}:{env['PATH']}",
    )
    env.pop("PYTHONPATH", None)
    first, output, _ = _run(tmp_path, env, 1)
    assert first["failed"] == 0 and first["changed"] == 4, output[-8000:]
    result = json.loads(out.read_text())
    assert [p["name"] for p in result["policies"]["ovirt_scheduling_policies"]] == ["evenly_distributed"]
    (label,) = result["labels"]["ovirt_affinity_labels"]
    assert label["name"] == "fast"
    (cluster,) = result["clusters"]["ovirt_clusters"]
    assert cluster["scheduling_policy"]["name"] == "evenly_distributed"
    assert {p["name"]: p["value"] for p in cluster["custom_scheduling_policy_properties"]} == {
        "HighUtilization": "70", "CpuOverCommitDurationMinutes": "3"}
    api = EngineApi(live_engine)
    (group,) = api.get(f"clusters/{cluster['id']}/affinitygroups")["affinity_group"]
    assert group["vms_rule"] == {"enabled": True, "positive": False, "enforcing": True}
    assert len(group["vms"]["vm"]) == 2

    second, output, _ = _run(tmp_path, env, 2)
    changed = [chunk.split("]", 1)[0] for chunk in output.split("TASK [")[1:] if "\nchanged: [" in chunk]
    assert second["failed"] == 0, output[-8000:]
    assert second["changed"] == 0, f"the second run changed {changed}\n{output[-8000:]}"
