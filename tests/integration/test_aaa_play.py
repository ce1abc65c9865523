"""Users, groups, roles and permissions through ansible-playbook against a live engine: an estate with internal
users (with passwords), a group, a custom role and permissions on System, a cluster and a VM converges, then
reports changed=0 and never shows a password; a changed estate is planned under --check --diff (nothing changes),
then applied. Run as one of those users (no administrative role), the modules and the inventory plugin see what
that user sees: its VM and nothing else, changes it may make go through, others are refused with the engine's
403, and users it does not see are not found."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.integration.helpers import APPLY_PLAY, BIN, EngineApi, ansible_env, playbook_runner

PASSWORDS = {"aaa-alice": "Alice-pw-7431!", "aaa-bob": "Bob-pw-9182!"}


AS_ALICE = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/vdc.infra.engine:
      auth: {url: "{{ engine_url }}", username: aaa-alice@internal, password: "{{ alice_password }}"}
  tasks:
    - {name: her VMs, vdc.infra.vm_info: {}, register: vms}
    - {name: her VM changed, vdc.infra.vm: {name: aaa-vm1, description: alice was here}, register: edited}
    - {name: again, vdc.infra.vm: {name: aaa-vm1, description: alice was here}, register: edited_again}
    - name: a VM she may not create
      vdc.infra.vm: {name: aaa-vm9, cluster: aaa-c, memory: 512MiB}
      register: refused
      ignore_errors: true
    - name: her own permission, as it is
      vdc.infra.permission: {user: aaa-alice, role: UserVmManager, object_type: vm, object_name: aaa-vm1}
      register: own
    - name: bob, whom she does not see (only holders of manipulate_permissions on System list every user)
      vdc.infra.permission: {user: aaa-bob, role: UserRole, object_type: vm, object_name: aaa-vm1}
      register: unseen
      ignore_errors: true
    - name: who holds what on her VM
      vdc.infra.permission_info: {object_type: vm, object_name: aaa-vm1}
      register: on_vm
    - {name: what she holds, vdc.infra.permission_info: {user_name: aaa-alice}, register: held}
    - {name: roles she sees, vdc.infra.role_info: {}, register: roles}
    - ansible.builtin.copy:
        content: "{{ {'vms': vms, 'edited': edited, 'edited_again': edited_again, 'refused': refused,
                      'own': own, 'unseen': unseen, 'on_vm': on_vm, 'held': held, 'roles': roles} | to_json }}"
        dest: "{{ out }}"
"""


def estate(permits: list[str], bob_on_cluster: bool) -> dict:
    return {
        "estate": "aaa",
        "data_centers": [{"name": "aaa-dc", "clusters": [{"name": "aaa-c", "cpu_type": "Intel Nehalem Family"}]}],
        "vms": [{"name": f"aaa-vm{i}", "cluster": "aaa-c", "memory": "512MiB"} for i in (1, 2)],
        "users": [{"name": "aaa-alice", "password": PASSWORDS["aaa-alice"], "email": "alice@example.org"},
                  {"name": "aaa-bob", "password": PASSWORDS["aaa-bob"]}],
        "groups": [{"name": "aaa-ops"}],
        "roles": [{"name": "aaa-operator", "description": "starts and stops VMs", "permits": permits}],
        "permissions": [
            {"user": "aaa-alice", "role": "UserVmManager", "object_type": "vm", "object_name": "aaa-vm1"},
            {"user": "aaa-bob", "role": "aaa-operator", "object_type": "cluster", "object_name": "aaa-c",
             "state": "present" if bob_on_cluster else "absent"},
            {"group": "aaa-ops", "role": "ClusterAdmin", "object_type": "cluster", "object_name": "aaa-c"},
            {"group": "aaa-ops", "role": "ReadOnlyAdmin", "object_type": "system"},
        ],
    }


FIRST = estate(["run_vm", "stop_vm", "shut_down_vm"], True)
SECOND = estate(["run_vm", "stop_vm", "reboot_vm"], False)


@pytest.fixture(scope="module")
def runner(live_engine, tmp_path_factory):
    work = tmp_path_factory.mktemp("aaa")
    (work / "apply.yml").write_text(APPLY_PLAY)
    (work / "alice.yml").write_text(AS_ALICE)
    return work, playbook_runner(live_engine, work)


def _apply(runner, doc: dict, *args: str) -> tuple[dict, dict, str]:
    work, run = runner
    path = work / "estate.json"
    path.write_text(json.dumps(doc))
    return run("apply.yml", {"estate": str(path)}, *args)


def _held(api: EngineApi, path: str) -> set[tuple[str, str]]:
    """(role name, object member or system) of the permissions listed at ``path``."""
    roles = {r["id"]: r["name"] for r in api.get("roles")["role"]}
    members = ("data_center", "cluster", "host", "storage_domain", "vm", "template", "disk")
    return {(roles[p["role"]["id"]], next((m for m in members if m in p), "system"))
            for p in api.get(path).get("permission", [])}


def test_an_estate_with_users_a_group_a_role_and_permissions_converges(runner, live_engine):
    api = EngineApi(live_engine)
    out, stats, log = _apply(runner, FIRST)
    assert stats["failed"] == 0 and out["changed"], log
    assert {k: out["counts"][k]["created"] for k in ("user", "group", "role", "permission")} == {
        "user": 2, "group": 1, "role": 1, "permission": 4}
    (alice,) = api.get("users", search="usrname=aaa-alice@internal-authz")["user"]
    assert alice["email"] == "alice@example.org"
    assert _held(api, f"users/{alice['id']}/permissions") == {("UserVmManager", "vm")}
    (group,) = [g for g in api.get("groups")["group"] if g["name"] == "aaa-ops"]
    assert _held(api, f"groups/{group['id']}/permissions") == {("ClusterAdmin", "cluster"), ("ReadOnlyAdmin", "system")}
    (role,) = [r for r in api.get("roles")["role"] if r["name"] == "aaa-operator"]
    assert sorted(p["name"] for p in api.get(f"roles/{role['id']}/permits")["permit"]) == [
        "login", "run_vm", "shut_down_vm", "stop_vm"]
    assert not any(pw in log or pw in json.dumps(out) for pw in PASSWORDS.values())

    out, stats, log = _apply(runner, FIRST)
    assert stats["failed"] == 0 and not out["changed"], \
        [s for s in out["plan"] if s["op"] != "noop"]


def test_a_changed_estate_is_planned_then_applied(runner, live_engine):
    api = EngineApi(live_engine)
    _apply(runner, FIRST)
    out, stats, log = _apply(runner, SECOND, "--check", "--diff")
    assert stats["failed"] == 0 and out["changed"], log
    changing = {(s["kind"], s["op"]) for s in out["plan"] if s["op"] != "noop"}
    assert changing == {("role", "update"), ("permission", "delete")}, out["plan"]
    assert "reboot_vm" in log and not any(pw in log for pw in PASSWORDS.values())
    (role,) = [r for r in api.get("roles")["role"] if r["name"] == "aaa-operator"]
    assert "shut_down_vm" in {p["name"] for p in api.get(f"roles/{role['id']}/permits")["permit"]}  # unchanged

    out, stats, log = _apply(runner, SECOND)
    assert stats["failed"] == 0 and out["changed"], log
    assert sorted(p["name"] for p in api.get(f"roles/{role['id']}/permits")["permit"]) == [
        "login", "reboot_vm", "run_vm", "stop_vm"]
    (bob,) = api.get("users", search="usrname=aaa-bob@internal-authz")["user"]
    assert _held(api, f"users/{bob['id']}/permissions") == set()
    out, stats, log = _apply(runner, SECOND)
    assert stats["failed"] == 0 and not out["changed"], [s for s in out["plan"] if s["op"] != "noop"]


def test_run_as_a_user_the_modules_see_what_the_user_sees(runner, live_engine):
    work, run = runner
    _apply(runner, SECOND)
    out, stats, log = run("alice.yml", {"alice_password": PASSWORDS["aaa-alice"]})
    assert stats["failed"] == 0, log
    assert [vm["name"] for vm in out["vms"]["vms"]] == ["aaa-vm1"]
    assert out["edited"]["changed"] is True and out["edited_again"]["changed"] is False
    assert out["refused"]["failed"] is True and "not authorized" in out["refused"]["msg"], out["refused"]
    assert out["own"]["changed"] is False, out["own"]["plan"]
    assert out["unseen"]["failed"] is True and "user 'aaa-bob' does not exist" in out["unseen"]["msg"]
    assert ("UserVmManager", "aaa-alice") in {(p["role_name"], p.get("user_name")) for p in out["on_vm"]["permissions"]}
    assert [(p["role_name"], p["object_name"]) for p in out["held"]["permissions"]] == [("UserVmManager", "aaa-vm1")]
    assert out["roles"]["roles"] and not any(r["administrative"] for r in out["roles"]["roles"])
    api = EngineApi(live_engine)
    (vm,) = api.find("vms", "aaa-vm1")
    assert vm["description"] == "alice was here"


def test_the_inventory_as_a_user_lists_only_her_vms(runner, live_engine):
    work, _run = runner
    source = work / "alice.vdc.yml"
    source.write_text(f"plugin: vdc.infra.engine\nurl: {live_engine.url}\nusername: aaa-alice@internal\n"
                      "password: \"{{ lookup('ansible.builtin.env', 'ALICE_PASSWORD') }}\"\n")
    env = {**ansible_env(work), "ALICE_PASSWORD": PASSWORDS["aaa-alice"]}
    proc = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(source), "--list"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    hosts = json.loads(proc.stdout)["_meta"]["hostvars"]
    assert sorted(hosts) == ["aaa-vm1"], proc.stdout
