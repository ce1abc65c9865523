#!/usr/bin/python
"""Module vdc.infra.engine_service: the vdc engine as a supervised process (pid file, log, readiness)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: engine_service
short_description: Run the vdc engine as a process kept by a pid file, where there is no systemd
version_added: 0.1.0
description:
  - Starts C(vdc-engine serve) (or any I(argv)) detached, in a session of its own, with its output appended to
    I(log_file), records its pid in I(pid_file) and waits until I(ready_url) answers.
  - Idempotent. The process counts as running only when the pid in the file is alive and runs exactly I(argv).
    A dead process is started again, and a process running other arguments is restarted. Each run of the module
    supervises the process this way.
  - Where systemd is PID 1, the C(vdc.infra.engine) role uses a systemd unit instead.
# options: generated from plugins/module_utils/module_options.py by `make docs`; declare them there.
options:
  state:
    description: C(started) keeps it running, C(restarted) restarts it, C(stopped) ends
      it (SIGTERM, then SIGKILL).
    type: str
    default: started
    choices: [started, stopped, restarted]
  argv:
    description: The command, for example C([/srv/vdc/bin/python, -m, engine_api, serve,
      --listen, 127.0.0.1:8443]).
    type: list
    elements: str
  pid_file:
    description: Where the pid is kept.
    type: path
    required: true
  log_file:
    description: Where the output goes (appended). Defaults to I(pid_file) with C(.log)
      instead of C(.pid).
    type: path
  environment:
    description: Extra environment variables, for example C(VDC_ADMIN_PASSWORD). Values
      are not logged.
    type: dict
    default: {}
  chdir:
    description: Working directory of the process.
    type: path
  ready_url:
    description: A URL that answers (any HTTP status) once the process is ready.
    type: str
  timeout:
    description: Seconds to wait for I(ready_url) (and for the process to end when stopping).
    type: int
    default: 60
author: vdc maintainers (@vdc)
"""

EXAMPLES = r"""
- name: A lab engine with two hosts
  vdc.infra.engine_service:
    argv: [/srv/vdc/.venv/bin/python, -m, engine_api, serve, --listen, "127.0.0.1:8443", --data-dir, /srv/vdc/lab,
           --lab-hosts, "2"]
    pid_file: /srv/vdc/lab/engine.pid
    environment: {VDC_ADMIN_PASSWORD: "{{ admin_password }}"}
    ready_url: http://127.0.0.1:8443/ovirt-engine/api
"""

RETURN = r"""
pid:
  description: Pid of the running process (none once stopped).
  returned: always
  type: int
log_file:
  description: Where the process writes its output.
  returned: always
  type: str
"""

import copy  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils import process  # noqa: E402
from ansible_collections.vdc.infra.plugins.module_utils.specs import MODULE_SPECS  # noqa: E402


def main() -> None:
    module = AnsibleModule(
        argument_spec=copy.deepcopy(MODULE_SPECS["engine_service"]),  # declared in module_options
        required_if=[("state", "started", ("argv",)), ("state", "restarted", ("argv",))],
        supports_check_mode=True,
    )
    p = module.params
    log_file = p["log_file"] or p["pid_file"].removesuffix(".pid") + ".log"
    pid, argv = process.running(p["pid_file"])
    wanted = p["argv"]
    if p["state"] == "stopped":
        if not module.check_mode:
            if pid:
                process.stop(pid, p["timeout"])
            process.forget(p["pid_file"])
        module.exit_json(changed=pid is not None, pid=None, log_file=log_file)
    restart = p["state"] == "restarted" or (pid is not None and argv != wanted)
    if pid is not None and not restart:
        module.exit_json(changed=False, pid=pid, log_file=log_file)
    if module.check_mode:
        module.exit_json(changed=True, pid=pid, log_file=log_file)
    if pid is not None:
        process.stop(pid, p["timeout"])
    env = {str(k): str(v) for k, v in p["environment"].items()}
    new = process.start(wanted, p["pid_file"], log_file, env, p["chdir"])
    if p["ready_url"]:
        why = process.wait_ready(p["ready_url"], new.poll, p["timeout"])
        if why:
            module.fail_json(msg=f"the process did not become ready: {why}", pid=new.pid, log_file=log_file,
                             log_tail=process.tail(log_file))
    module.exit_json(changed=True, pid=new.pid, log_file=log_file)


if __name__ == "__main__":
    main()
