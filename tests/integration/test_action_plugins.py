"""Engine modules in the controller process (their action plugins) against a live engine, through ansible-playbook.

The same playbook runs once as users run it (``hosts: localhost``: each module runs inside the controller) and
once with ``vdc_in_controller: false`` (a module process per task, as before): check mode, diff, ``register``,
loops, argument errors, engine failures and ``no_log`` give the same results, ids and times aside. The engine's
token is taken once per run, kept in a file only its user can read (``0600`` in a ``0700`` directory), reused
by the tasks, loop items and plays that follow, renewed when the engine refuses it, never replaced by a token
for another password, and revoked when ``ansible-playbook`` ends.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import subprocess
import sys

import httpx
import pytest

from tests.integration.helpers import playbook_runner

AUTH = """
  module_defaults:
    group/vdc.infra.engine:
      auth: {url: "{{ engine_url }}", username: admin@internal, password: "{{ engine_password }}"}
"""

SETUP = f"""
- hosts: localhost
  gather_facts: false
{AUTH}
  tasks:
    - vdc.infra.datacenter: {{name: act-dc}}
    - vdc.infra.cluster: {{name: act-c, data_center: act-dc, cpu_type: Intel Nehalem Family}}
    - ansible.builtin.copy: {{content: "{{{{ {{}} | to_json }}}}", dest: "{{{{ out }}}}"}}
"""

PARITY = f"""
- hosts: localhost
  gather_facts: false
{AUTH}
  tasks:
    - name: a new VM, predicted
      vdc.infra.vm: {{name: act-vm, cluster: act-c, memory: 512MiB, cpu_cores: 1}}
      check_mode: true
      diff: true
      register: predicted
    - name: created
      vdc.infra.vm: {{name: act-vm, cluster: act-c, memory: 512MiB, cpu_cores: 1, description: first}}
      diff: true
      register: created
    - name: the same again
      vdc.infra.vm: {{name: act-vm, cluster: act-c, memory: 512MiB, cpu_cores: 1}}
      register: again
    - name: a change, predicted with its diff
      vdc.infra.vm: {{name: act-vm, cpu_cores: 2, description: second}}
      check_mode: true
      diff: true
      register: change_predicted
    - name: changed
      vdc.infra.vm: {{name: act-vm, cpu_cores: 2, description: second}}
      register: changed
    - name: a wrong type
      vdc.infra.vm: {{name: act-vm, cpu_cores: many}}
      register: wrong_type
      ignore_errors: true
    - name: an unknown option
      vdc.infra.vm: {{name: act-vm, colour: blue}}
      register: unknown_option
      ignore_errors: true
    - name: a cluster the engine does not know
      vdc.infra.vm: {{name: act-vm2, cluster: no-such-cluster}}
      register: engine_failure
      ignore_errors: true
    - name: an option and its alias (a warning)
      vdc.infra.cluster: {{name: act-c, memory_policy: server, performance_preset: server}}
      check_mode: true
      register: warned
    - name: a loop
      vdc.infra.vm_info: {{name: "{{{{ item }}}}"}}
      loop: [act-vm, act-none]
      register: looped
    - name: hidden
      vdc.infra.vm_info: {{name: act-vm}}
      no_log: true
      register: hidden
    - name: removed
      vdc.infra.vm: {{name: act-vm, state: absent}}
      register: removed
    - ansible.builtin.copy:
        content: "{{{{ dict(names | zip(names | map('extract', vars))) | to_json }}}}"
        dest: "{{{{ out }}}}"
      vars:
        names: [predicted, created, again, change_predicted, changed, wrong_type, unknown_option, engine_failure,
                warned, looped, hidden, removed]
"""

TOKENS = f"""
- hosts: localhost
  gather_facts: false
{AUTH}
  vars:
    cache: "{{{{ lookup('env', 'ANSIBLE_LOCAL_TEMP') }}}}"
  tasks:
    - vdc.infra.vm_info: {{name: act-none}}
    - ansible.builtin.find: {{paths: "{{{{ cache }}}}", patterns: vdc-tokens, file_type: directory, recurse: true}}
      register: directories
    - ansible.builtin.find: {{paths: "{{{{ cache }}}}", patterns: "*.json", recurse: true, hidden: true}}
      register: entries
    - ansible.builtin.slurp: {{src: "{{{{ entries.files[0].path }}}}"}}
      register: first
    - vdc.infra.vm_info: {{name: "{{{{ item }}}}"}}
      loop: [act-a, act-b, act-c]
    - ansible.builtin.slurp: {{src: "{{{{ entries.files[0].path }}}}"}}
      register: after_loop
    - name: another password for the same user is not answered from the cache
      vdc.infra.vm_info:
        name: act-none
        auth: {{url: "{{{{ engine_url }}}}", username: admin@internal, password: not-the-password}}
      register: wrong_password
      ignore_errors: true
    - ansible.builtin.uri:
        url: "{{{{ engine_url }}}}"
        headers: {{Authorization: "Bearer {{{{ (first.content | b64decode | from_json).token }}}}",
                  Accept: application/json}}
      register: valid
    - name: the cached token revoked behind the run's back
      ansible.builtin.uri:
        url: "{{{{ engine_url | regex_replace('/ovirt-engine/api$', '') }}}}/ovirt-engine/services/sso-logout"
        method: POST
        body_format: form-urlencoded
        body: {{token: "{{{{ (first.content | b64decode | from_json).token }}}}"}}
    - vdc.infra.vm_info: {{name: act-none}}
      register: renewed
    - ansible.builtin.slurp: {{src: "{{{{ entries.files[0].path }}}}"}}
      register: after_renewal
    - ansible.builtin.set_fact:
        seen: "{{{{ dict(names | zip(names | map('extract', vars))) }}}}"
      vars:
        names: [directories, entries, first, after_loop, wrong_password, valid, renewed, after_renewal]

- hosts: localhost
  gather_facts: false
{AUTH}
  tasks:
    - vdc.infra.vm_info: {{name: act-none}}
    - ansible.builtin.slurp: {{src: "{{{{ seen.entries.files[0].path }}}}"}}
      register: next_play
    - ansible.builtin.copy:
        content: "{{{{ seen | combine({{'next_play': next_play}}) | to_json }}}}"
        dest: "{{{{ out }}}}"
"""

_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\b1[0-9]{12}\b")  # epoch milliseconds


def _masked(result: dict) -> dict:
    """A result with its ids and times replaced: what may differ between two runs that do the same."""
    return json.loads(_TIME.sub("0", _ID.sub("<id>", json.dumps(result, sort_keys=True))))


@pytest.fixture(scope="module")
def runner(live_engine, tmp_path_factory):
    work = tmp_path_factory.mktemp("actions")
    for name, text in {"setup.yml": SETUP, "parity.yml": PARITY, "tokens.yml": TOKENS}.items():
        (work / name).write_text(text)
    run = playbook_runner(live_engine, work)
    _, stats, log = run("setup.yml", {})
    assert stats["failed"] == 0, log
    return work, run


def test_the_controller_and_the_module_process_give_the_same_results(runner):
    work, run = runner
    here, stats, log = run("parity.yml", {}, "-vvv")
    assert stats["failed"] == 0, log
    assert "Running vm in the controller process" in log and "infra/plugins/modules/vm.py" not in log, log[-3000:]
    there, stats, log = run("parity.yml", {"vdc_in_controller": False}, "-vvv")
    assert stats["failed"] == 0, log
    assert "Running vm in the controller process" not in log and "infra/plugins/modules/vm.py" in log, log[-3000:]

    assert here["predicted"]["changed"] is True and here["predicted"]["diff"], here["predicted"]
    assert here["created"]["changed"] is True and here["created"]["vm"]["description"] == "first"
    assert here["again"]["changed"] is False and "diff" not in here["again"]
    assert here["change_predicted"]["changed"] is True and here["change_predicted"]["diff"]
    assert here["changed"]["vm"]["cpu"]["topology"]["cores"] == 2
    assert here["wrong_type"]["failed"] is True and "cpu_cores" in here["wrong_type"]["msg"]
    assert here["unknown_option"]["failed"] is True and "colour" in here["unknown_option"]["msg"]
    assert here["engine_failure"]["failed"] is True and "no-such-cluster" in json.dumps(here["engine_failure"])
    assert "Both option memory_policy and its alias performance_preset are set." in here["warned"]["warnings"]
    assert [r["item"] for r in here["looped"]["results"]] == ["act-vm", "act-none"]
    assert [len(r["vms"]) for r in here["looped"]["results"]] == [1, 0]
    assert "invocation" in here["looped"]["results"][0] and "invocation" not in here["hidden"]  # no_log reached it
    assert "the output has been hidden due to the fact that 'no_log: true'" in log
    assert here["removed"]["changed"] is True
    password = here["looped"]["results"][0]["invocation"]["module_args"]["auth"]["password"]
    assert password == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

    assert _masked(here) == _masked(there)


def test_one_token_per_run_private_reused_renewed_and_revoked_at_the_end(runner, live_engine):
    work, run = runner
    seen, stats, log = run("tokens.yml", {})
    assert stats["failed"] == 0, log

    (directory,) = seen["directories"]["files"]
    assert directory["mode"] == "0700"
    (entry,) = seen["entries"]["files"]  # one engine, one user: one file
    assert entry["mode"] == "0600"

    def token(slurped: dict) -> str:
        text = base64.b64decode(slurped["content"]).decode()
        assert live_engine.password not in text  # never the password
        return json.loads(text)["token"]

    first = token(seen["first"])
    assert token(seen["after_loop"]) == first  # the loop's items and the tasks after it reused it
    assert seen["valid"]["status"] == 200  # it was a live token
    assert seen["wrong_password"]["failed"] is True and "authentication" in seen["wrong_password"]["msg"].lower()
    assert not seen["renewed"].get("failed"), seen["renewed"]
    renewed = token(seen["after_renewal"])
    assert renewed != first  # refused by the engine, replaced transparently
    assert token(seen["next_play"]) == renewed  # the next play reuses it too

    api = live_engine.url
    for revoked in (first, renewed):
        answer = httpx.get(api, headers={"Authorization": f"Bearer {revoked}", "Accept": "application/json"})
        assert answer.status_code == 401, answer.text  # revoked when ansible-playbook ended
    assert not list((work / "tmp").glob("*/vdc-tokens")), "the token directory outlived the run"


DELEGATED = f"""
- hosts: localhost
  gather_facts: false
{AUTH}
  tasks:
    - vdc.infra.vm_info: {{name: act-none}}
      delegate_to: remote
      environment: {{PYTHONPATH: "{{{{ remote_pythonpath }}}}"}}
      register: there
    - ansible.builtin.copy: {{content: "{{{{ there | to_json }}}}", dest: "{{{{ out }}}}"}}
"""


def test_delegated_to_another_host_the_module_runs_there(runner, sshd, tmp_path):
    work, run = runner
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    sshd.authorize(key.with_suffix(".pub").read_text().strip())
    # The remote user's Python: this one, or (when it lives where the user cannot go) a system one with this
    # virtualenv's packages on PYTHONPATH, as the agents deployed through this server run.
    python, pythonpath = sys.executable, ""
    if sshd.agent_command:
        words = shlex.split(sshd.agent_command)
        pythonpath, python = words[1].removeprefix("PYTHONPATH="), words[2]
    (work / "delegated.yml").write_text(DELEGATED)
    (work / "hosts.yml").write_text(json.dumps({"all": {"hosts": {"remote": {
        "ansible_host": sshd.addresses[1], "ansible_port": sshd.port, "ansible_user": sshd.user,
        "ansible_ssh_private_key_file": str(key), "ansible_python_interpreter": python,
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"}}}}))
    there, stats, log = run("delegated.yml", {"remote_pythonpath": pythonpath}, "-i", "hosts.yml", "-vvv")
    assert stats["failed"] == 0, log
    assert there["vms"] == [] and there["changed"] is False
    assert "Running vm_info in the controller process" not in log
    assert f"ESTABLISH SSH CONNECTION FOR USER: {sshd.user}" in log and "infra/plugins/modules/vm_info.py" in log
