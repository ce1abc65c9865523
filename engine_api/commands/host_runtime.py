"""A host's life after registration: install (reach or deploy its agent), activate, maintenance, refresh,
and what monitoring learns: a host that stops answering, a host that answers again, the VMs it reports.

Install and activation decide here; monitoring decides in ``engine_api.loops.monitor`` and ``loops.ha`` and acts
through the functions below. The I/O toward hosts goes through the broker.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from engine_api.commands import hook_deploy, recovery, vm_migration
from engine_api.commands.runner import run
from engine_api.commands.storage_pools import active_domains, pool_spec
from engine_api.commands.system import system_context
from engine_api.commands.tx import Tx, now_iso
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict
from engine_api.hosts.deploy import deploy
from engine_api.hosts.fencing import FenceError
from engine_api.hosts.fencing import soft_fence as restart_agent
from engine_api.protocol.client import AgentError
from engine_api.store.shared import live_nodes

if TYPE_CHECKING:
    from engine_api.engine import Engine

RUNNING = {"up", "paused", "powering_down", "unknown", "not_responding", "powering_up"}
JOB_DRIVEN = {"wait_for_launch", "migrating", "saving_state", "restoring_state", "reboot_in_progress"}
MONITORED = {"up", "connecting", "non_responsive", "preparing_for_maintenance", "non_operational"}


def _dc_of(tx: Tx, host: dict) -> str:
    return tx.must("cluster", host["cluster"]["id"])["data_center"]["id"]


# ---------------------------------------------------------------- install and activation


def _facts(caps: dict) -> dict:
    cpu = caps.get("cpu") or {}
    v = int(caps.get("libvirt_version") or 0)
    major, minor, build = v // 1000000, v // 1000 % 1000, v % 1000
    return {
        "cpu": {"name": cpu.get("model"), "speed": cpu.get("speed"),
                "topology": {"sockets": cpu.get("sockets"), "cores": cpu.get("cores"), "threads": cpu.get("threads")}},
        "memory": caps.get("memory", 0), "max_scheduling_memory": caps.get("memory", 0),
        "libvirt_version": {"major": major, "minor": minor, "build": build, "revision": 0,
                            "full_version": f"libvirt-{major}.{minor}.{build}"},
        "version": {"major": 4, "minor": 5, "build": 0, "revision": 0, "full_version": "vdc-agent-0.1.0"},
        "hardware_information": {"manufacturer": "vdc", "product_name": caps.get("hypervisor", "")},
        "_hooks": caps.get("hooks", []), "_nics": caps.get("nics", []), "_hostname": caps.get("hostname"),
        "_migration_uri": caps.get("migration_uri"),  # where a live migration reaches its hypervisor
    }


def _installed(tx: Tx, host_id: str, caps: dict) -> None:
    host = tx.must("host", host_id)
    host.update(_facts(caps), status="initializing")
    host.pop("_install_error", None)
    tx.update("host", host)
    tx.event(13, f"Host {host['name']} installed: its agent answers ({caps.get('hypervisor')}).", host=host_id)


def _install_failed(tx: Tx, host_id: str, reason: str) -> None:
    host = tx.must("host", host_id)
    host.update(status="install_failed", _install_error=reason)
    tx.update("host", host)
    tx.event(505, f"Host {host['name']} installation failed: {reason}", "error", host=host_id)


def _set_status(tx: Tx, host_id: str, status: str, message: str | None = None, severity: str = "normal") -> dict:
    host = tx.must("host", host_id)
    if host["status"] != status:
        host["status"] = status
        for key in ("_failed_polls", "_unreachable_since", "_fenced"):  # monitoring counts unanswered polls anew
            host.pop(key, None)
        tx.update("host", host)
        if message:
            tx.event(16 if status == "up" else 17, message.format(name=host["name"]), severity, host=host_id)
    return host


def bring_up(ctx: Context, host_id: str, activate: bool = True) -> None:
    """Connect the data center's active storage on the host, then make it up (or maintenance)."""
    engine = ctx.engine
    with engine.db.read() as conn:
        tx = Tx(conn, ctx)
        host = tx.must("host", host_id)
        domains = active_domains(tx, _dc_of(tx, host))
    if not activate:
        run(ctx, "host_maintenance", _set_status, host_id, "maintenance", "Host {name} is in maintenance.")
        return
    if (why := hook_deploy.sync_host(ctx, host_id)) is not None:  # its cluster's hooks before it is up
        run(ctx, "host_non_operational", _set_status, host_id, "non_operational",
            "Host {name} did not take its VDSM hooks: " + why.replace("{", "{{").replace("}", "}}"), "error")
        return
    for sd in domains:
        try:
            engine.broker.connect_storage(host, pool_spec(sd))
        except AgentError as e:
            run(ctx, "host_non_operational", _set_status, host_id, "non_operational",
                f"Host {{name}} cannot access Storage Domain {sd['name']}: {e}", "error")
            return
    run(ctx, "activate_host", _set_status, host_id, "up", "Host {name} is up.")


def _host_key_seen(tx: Tx, host_id: str, seen: dict) -> None:
    """Record the SSH key a host presented at first contact; later deployments accept only that key."""
    host = tx.must("host", host_id)
    ssh = dict(host.get("ssh") or {})
    if ssh.get("fingerprint"):
        return
    ssh.update(fingerprint=seen["fingerprint"], public_key=seen["public_key"])
    host["ssh"] = ssh
    tx.update("host", host)
    tx.event(509, f"Host {host['name']} SSH host key recorded: {seen['fingerprint']}.", host=host_id)


def install_job(ctx: Context, host_id: str, credentials: dict, activate: bool) -> None:
    """Reach the host's agent, or deploy one over SSH; a reinstall with SSH credentials always deploys."""
    engine = ctx.engine
    with engine.db.read() as conn:
        host = Tx(conn, ctx).must("host", host_id)
    can_deploy = bool(credentials.get("password") or credentials.get("public_key"))
    caps = None
    if not (credentials.get("reinstall") and can_deploy):
        try:
            caps = engine.broker.capabilities(host)
        except AgentError as unreachable:
            if not can_deploy:
                run(ctx, "install_host", _install_failed, host_id,
                    f"no host agent answers at {engine.broker.url(host)} ({unreachable}) and no SSH credentials "
                    "were given to deploy one")
                return
    if caps is None:
        try:
            deploy(engine, host, credentials, lambda seen: run(ctx, "install_host", _host_key_seen, host_id, seen))
            caps = engine.broker.capabilities(host, timeout=10)
        except Exception as e:  # noqa: BLE001 - whatever stops the deployment, the host must not stay installing
            run(ctx, "install_host", _install_failed, host_id, str(e) or repr(e))
            return
    run(ctx, "install_host", _installed, host_id, caps)
    bring_up(ctx, host_id, activate)


def _prepare_install(tx: Tx, host_id: str) -> dict:
    host = tx.must("host", host_id)
    if host["status"] not in ("maintenance", "install_failed", "non_operational", "installing", "down"):
        raise Conflict(f"Cannot install Host {host['name']}: it is {host['status']}; move it to maintenance first.")
    host["status"] = "installing"
    tx.update("host", host)
    tx.event(509, f"Installing Host {host['name']}.", host=host_id)
    return host


def credentials_of(doc: dict, host: dict | None = None) -> dict:
    """SSH credentials from a host being added, or from an install action (then the host's ssh settings
    fill in what the action does not say)."""
    ssh = {**((host or {}).get("ssh") or {}), **(doc.get("ssh") or {})}
    user = ssh.get("user")
    if isinstance(user, dict):  # on the wire ssh.user is a User: <user><user_name>root</user_name></user>
        user = user.get("user_name") or user.get("name")
    return {"password": doc.get("root_password"), "user": user or "root", "port": ssh.get("port") or 22,
            "public_key": ssh.get("authentication_method") == "publickey"}


def start_install(ctx: Context, host_id: str, credentials: dict, activate: bool = True) -> None:
    ctx.engine.jobs.submit(ctx, f"Installing host {host_id}", install_job, ctx, host_id, credentials, activate)


def install(ctx: Context, parent: dict | None, host: dict, action: dict) -> None:
    host = run(ctx, "install_host", _prepare_install, host["id"])
    credentials = {**credentials_of(action, host), "reinstall": True}  # as oVirt's reinstall: deploy again
    start_install(ctx, host["id"], credentials, action.get("activate", True))


def _prepare_activate(tx: Tx, host_id: str) -> dict:
    host = tx.must("host", host_id)
    if host["status"] == "up":
        return host
    if host["status"] not in ("maintenance", "non_operational"):
        raise Conflict(f"Cannot activate Host {host['name']}: it is {host['status']}.")
    host["status"] = "initializing"
    tx.update("host", host)
    return host


def activate(ctx: Context, parent: dict | None, host: dict, action: dict) -> None:
    host = run(ctx, "activate_host", _prepare_activate, host["id"])
    if host["status"] == "up":
        return
    try:
        ctx.engine.broker.capabilities(host)
    except AgentError as e:
        run(ctx, "activate_host", _set_status, host["id"], "non_responsive",
            f"Host {{name}} cannot be activated: its agent does not answer ({e}).", "error")
        raise Conflict(f"Cannot activate Host {host['name']}: its agent does not answer ({e}).") from None
    bring_up(ctx, host["id"])


def _prepare_maintenance(tx: Tx, host_id: str) -> list[dict]:
    host = tx.must("host", host_id)
    if host["status"] == "maintenance":
        return []
    if host["status"] not in ("up", "non_operational", "non_responsive", "connecting", "install_failed",
                              "initializing"):
        raise Conflict(f"Cannot switch Host {host['name']} to maintenance: it is {host['status']}.")
    vms = tx.find_by("vm", host_id=host_id)
    host["status"] = "preparing_for_maintenance" if vms else "maintenance"
    tx.update("host", host)
    tx.event(600, f"Host {host['name']} was switched to {host['status'].replace('_', ' ')} by {tx.who}.",
             host=host_id)
    return vms


def deactivate(ctx: Context, parent: dict | None, host: dict, action: dict) -> None:
    vms = run(ctx, "deactivate_host", _prepare_maintenance, host["id"])
    if vms:
        ctx.engine.jobs.submit(ctx, f"Evacuating host {host['name']}", evacuate_job, ctx, host["id"])


def evacuate_job(ctx: Context, host_id: str) -> None:
    with ctx.engine.db.read() as conn:
        vms = Tx(conn, ctx).find_by("vm", host_id=host_id)
    failed = []
    for vm in vms:
        try:
            vm_migration.migrate_now(ctx, vm["id"], None, exclude={host_id})
        except Exception as e:  # noqa: BLE001 - each VM is reported, the others still move
            failed.append(f"{vm['name']}: {getattr(e, 'detail', e)}")
    if failed:
        run(ctx, "deactivate_host", _set_status, host_id, "up",
            "Host {name} could not be moved to maintenance: " + "; ".join(failed), "error")
        return
    run(ctx, "deactivate_host", _set_status, host_id, "maintenance", "Host {name} is in maintenance.")


def _refreshed(tx: Tx, host_id: str, caps: dict) -> None:
    host = tx.must("host", host_id)
    before = dict(host)
    host.update(_facts(caps))
    if host != before:
        tx.update("host", host)
    tx.event(606, f"Host {host['name']} capabilities were refreshed.", host=host_id)


def refresh(ctx: Context, parent: dict | None, host: dict, action: dict) -> None:
    try:
        caps = ctx.engine.broker.capabilities(host)
    except AgentError as e:
        raise Conflict(f"Cannot refresh Host {host['name']}: its agent does not answer ({e}).") from None
    run(ctx, "refresh_host", _refreshed, host["id"], caps)


# ---------------------------------------------------------------- monitoring
# The acts monitoring commits; what to do when is decided by ``engine_api.loops.monitor`` (the host's status)
# and ``engine_api.loops.ha`` (highly available VMs of a host that stopped answering).

UP_LIKE = ("up", "preparing_for_maintenance", "non_operational")  # a missed poll counts toward connecting


def count_missed_poll(tx: Tx, host_id: str, now: float) -> None:
    """One more unanswered poll of a host still up: it stays scheduled until there are enough of them."""
    host = tx.must("host", host_id)
    if host["status"] not in UP_LIKE:
        return
    host.update(_failed_polls=int(host.get("_failed_polls") or 0) + 1,
                _unreachable_since=host.get("_unreachable_since") or now)
    tx.update("host", host)


def set_connecting(tx: Tx, host_id: str, error: str, now: float) -> None:
    host = tx.must("host", host_id)
    if host["status"] not in UP_LIKE:
        return
    host.pop("_failed_polls", None)
    host.update(status="connecting", _unreachable_since=host.get("_unreachable_since") or now)
    tx.update("host", host)
    tx.event(9008, f"Host {host['name']} is not responding; trying to reconnect ({error}).", "warning",
             host=host_id)


def set_non_responsive(tx: Tx, host_id: str) -> list[dict]:
    """The host is non responsive and its VMs unknown (they may run there still); returns those VMs."""
    host = tx.must("host", host_id)
    if host["status"] != "connecting":
        return []
    host["status"] = "non_responsive"
    tx.update("host", host)
    tx.event(12, f"Host {host['name']} is non responsive.", "error", host=host_id)
    vms = tx.find_by("vm", host_id=host_id)
    for vm in vms:
        vm["status"] = "unknown"
        tx.update("vm", vm)
        tx.event(9104, f"VM {vm['name']} was set to the Unknown status.", "warning", vm=vm["id"], host=host_id)
    return vms


def set_responding(tx: Tx, host_id: str) -> None:
    """The host answered: up again if it was not, and its count of unanswered polls starts over."""
    host = tx.must("host", host_id)
    if host["status"] in ("connecting", "non_responsive"):
        host["status"] = "up"
        for key in ("_unreachable_since", "_failed_polls", "_fenced"):
            host.pop(key, None)
        tx.update("host", host)
        tx.event(16, f"Host {host['name']} is responding again.", host=host_id)
    elif "_failed_polls" in host:  # answered again before it was connecting: the count starts over
        host.pop("_failed_polls")
        host.pop("_unreachable_since", None)
        tx.update("host", host)


def _running_elsewhere(tx: Tx, vm: dict, host_id: str, reports: dict[str, dict]) -> bool | None:
    """Whether another up host of the VM's cluster last reported it running; None until each has reported."""
    found = False
    for other in tx.find_by("host", cluster_id=vm["cluster"]["id"]):
        if other["id"] == host_id or other.get("status") != "up":
            continue
        report = reports.get(other["id"])
        if report is None:
            return None
        found = found or any(v["id"] == vm["id"] and v["status"] != "down" for v in report.get("vms", []))
    return found


def apply_report(tx: Tx, host_id: str, stats: dict, busy: set[str], asked: float = 0.0,
                 reports: dict[str, dict] | None = None) -> list[str]:
    """Apply what a host reports of its VMs; returns ids of VMs running there that belong elsewhere.

    The report is as old as ``asked``: a VM a job changed since then (``_changed``) is left alone, as is a
    VM a job is moving (``busy``). ``reports`` are the other hosts' last reports: a VM left ``migrating`` by
    an engine restart is down only when no host runs it, and taken over by the host that runs it.
    """
    host = tx.must("host", host_id)
    reported = {v["id"]: v for v in stats.get("vms", [])}
    for vm in tx.find_by("vm", host_id=host_id):
        if vm["id"] in busy or vm.get("_changed", 0) >= asked:  # a job moves it, or moved it since the report
            seen = reported.pop(vm["id"], None)
            progress = (seen or {}).get("migration_progress")
            if vm["status"] == "migrating" and progress is not None and progress != vm.get("_migration_progress"):
                vm["_migration_progress"] = progress  # the latest the source reported (not a status change)
                tx.update("vm", vm)
            continue  # (a job-driven status without a job, as an engine restart leaves it, is reconciled below)
        seen = reported.pop(vm["id"], None)
        status = vm["status"]
        if seen is None or seen["status"] == "down":
            if status == "suspended":
                continue
            if status == "migrating" and _running_elsewhere(tx, vm, host_id, reports or {}) is not False:
                continue  # its destination may run it (its report takes it over), or has not reported yet
            if status in RUNNING or status in JOB_DRIVEN:
                vm.update(status="down", host=None, stop_time=now_iso())
                for key in ("_power_deadline", "_reboot_base", "_before"):
                    vm.pop(key, None)
                tx.update("vm", vm)
                tx.event(61, f"VM {vm['name']} is down.", vm=vm["id"], host=host_id)
            continue
        new = seen["status"]
        if status == "reboot_in_progress" and new == "up":  # up all along: rebooted once libvirt saw a reboot
            if int(seen.get("reboots") or 0) > int(vm.get("_reboot_base") or 0):
                vm["status"] = "up"
                for key in ("_power_deadline", "_reboot_base", "_before"):
                    vm.pop(key, None)
                tx.update("vm", vm)
                tx.event(35, f"VM {vm['name']} was rebooted.", vm=vm["id"], host=host_id)
            continue
        if new != status and not (status == "powering_down" and new == "up"):
            vm["status"] = new
            if new == "up" and not vm.get("start_time"):
                vm["start_time"] = now_iso()
            tx.update("vm", vm)
    stale = []
    for vm_id, seen in reported.items():
        if seen["status"] == "down":
            continue
        owner = tx.get("vm", vm_id)
        if owner is None or vm_id in busy or owner.get("_changed", 0) >= asked:
            continue
        if owner["status"] == "migrating":  # a migration that ended while no engine watched it
            owner.update(status=seen["status"], host={"id": host_id})
            tx.update("vm", owner)
            tx.event(63, f"Migration of VM {owner['name']} completed (Host: {host['name']}).", vm=vm_id,
                     host=host_id)
        else:
            stale.append(vm_id)
            tx.event(9108, f"VM {owner['name']} also ran on Host {host['name']}; the stale copy is destroyed.",
                     "warning", vm=vm_id, host=host_id)
    return stale


def destroy_stale(ctx: Context, host: dict, vm_id: str) -> None:
    """Destroy a copy of a VM that runs elsewhere (or nowhere, as far as the engine knows)."""
    try:
        ctx.engine.broker.vm_op(host, vm_id, "destroy")
    except AgentError:
        pass  # the next report shows it again, and it is destroyed then


def _abandoned_jobs(tx: Tx) -> None:
    """Jobs left started by an engine that is gone (a live engine sharing the database still runs its own)."""
    live = live_nodes(tx.conn) if tx.ctx is not None and tx.ctx.engine.node.shared else set()
    for job in tx.find("job"):
        if job.get("status") == "started" and job.get("_engine") not in live:
            job.update(status="failed", end_time=now_iso(), last_updated=now_iso())
            tx.update("job", job)
            tx.event(1, f"{job.get('description')} failed: the engine stopped while it ran.", "warning")


def recover(engine: Engine) -> None:
    """At engine start no job runs: end the jobs the last engine left started, and take up again the work
    on hosts it left installing, initializing or preparing for maintenance."""
    ctx = system_context(engine, "recover")
    run(ctx, "recover_jobs", _abandoned_jobs)
    recovery.reconcile(engine)  # disks, templates and VMs left in flight, against what the agents report
    with engine.db.read() as conn:
        hosts = Tx(conn, ctx).find("host")
    for host in hosts:
        if host["status"] in ("installing", "initializing"):
            start_install(ctx, host["id"], {}, True)  # its agent may answer already; no credentials are kept
        elif host["status"] == "preparing_for_maintenance":
            ctx.engine.jobs.submit(ctx, f"Evacuating host {host['name']}", evacuate_job, ctx, host["id"])


def monitored_hosts(engine: Engine) -> list[dict]:
    with engine.db.read() as conn:
        hosts = Tx(conn, None).find("host")
    return [h for h in hosts if h.get("status") in MONITORED]


# ---------------------------------------------------------------- fencing (loops.ha decides it, or a user)


def note_waiting_for_lease(tx: Tx, vm_id: str, host_id: str, why: str) -> None:
    vm = tx.must("vm", vm_id)
    tx.event(9105, f"Highly available VM {vm['name']} waits for its lease before it restarts elsewhere: {why}.",
             "warning", vm=vm_id, host=host_id)


def _fence_started(tx: Tx, host_id: str, now: float) -> dict | None:
    host = tx.must("host", host_id)
    if host["status"] != "non_responsive":
        return None
    host["_fenced"] = {"state": "soft_fencing", "at": now}
    tx.update("host", host)
    tx.event(9020, f"Host {host['name']} is non responsive: SSH soft fencing restarts its agent.", "warning",
             host=host_id)
    return host


def _fence_result(tx: Tx, host_id: str, error: str | None, now: float, stranded: list[str]) -> None:
    host = tx.must("host", host_id)
    if host["status"] != "non_responsive":
        return  # it answered meanwhile
    if (host.get("_fenced") or {}).get("state") == "manual":
        return  # the user confirmed the host rebooted while SSH was tried: that stands, whatever SSH did
    if error is None:
        host["_fenced"] = {"state": "soft_fenced", "at": now}
        tx.event(9021, f"Host {host['name']} was soft fenced: its agent was restarted over SSH.", host=host_id)
    else:
        host["_fenced"] = {"state": "failed", "at": now, "error": error}
        vms = f" Its highly available VMs without a lease ({', '.join(stranded)}) are not restarted elsewhere, " \
              "since they may still run there;" if stranded else ""
        tx.event(9022, f"Host {host['name']} could not be fenced: SSH soft fencing failed ({error}) and it has no "
                       f"power management.{vms} once the host is known to be down, confirm it has been rebooted "
                       "(fence it manually) and they restart on another host.", "error", host=host_id)
    tx.update("host", host)


def soft_fence(ctx: Context, host_id: str, stranded: list[str]) -> None:
    """SSH soft fencing of a non responsive host, as a job; ``stranded`` names the VMs waiting for it."""
    host = run(ctx, "fence_host", _fence_started, host_id, time.time())
    if host is not None:
        ctx.engine.jobs.submit(ctx, f"Soft fencing host {host['name']}", _soft_fence_job, ctx, host, stranded)


def _soft_fence_job(ctx: Context, host: dict, stranded: list[str]) -> None:
    try:
        restart_agent(ctx.engine, host)
        error = None
    except FenceError as e:
        error = str(e)
    run(ctx, "fence_host", _fence_result, host["id"], error, time.time(), stranded)


def _confirmed_rebooted(tx: Tx, host_id: str) -> None:
    """oVirt's manual fence ("Confirm 'Host has been Rebooted'"): the user vouches that the host runs nothing.
    Its VMs are down; the highly available ones are left unknown for the HA loop to restart elsewhere."""
    host = tx.must("host", host_id)
    if host["status"] != "non_responsive":
        raise Conflict(f"Cannot fence Host {host['name']} manually: it is {host['status'].replace('_', ' ')}; only a "
                       "non responsive host can be confirmed rebooted.")
    host["_fenced"] = {"state": "manual", "at": time.time()}
    tx.update("host", host)
    tx.event(9023, f"Host {host['name']} was confirmed rebooted by {tx.who}: the VMs it ran are down.",
             host=host_id)
    for vm in tx.find_by("vm", host_id=host_id):
        if (vm.get("high_availability") or {}).get("enabled"):
            continue
        vm.update(status="down", host=None, stop_time=now_iso())
        tx.update("vm", vm)
        tx.event(61, f"VM {vm['name']} is down: its host was confirmed rebooted.", vm=vm["id"], host=host_id)


def fence(ctx: Context, parent: dict | None, host: dict, action: dict) -> None:
    """``POST /hosts/{id}/fence``: ``fence_type=manual`` confirms the host was rebooted; the power management
    fence types need power management, which this engine does not drive."""
    fence_type = str(action.get("fence_type") or "").lower()
    if not fence_type:
        raise BadRequest("action.fence_type is required (manual, restart, start, stop or status)")
    if fence_type not in ("manual", "restart", "start", "stop", "status"):
        raise BadRequest(f"action.fence_type must be one of manual, restart, start, stop, status; got '{fence_type}'")
    if fence_type != "manual":
        raise Conflict(f"Cannot {fence_type} Host {host['name']}: power management is not enabled for it.")
    run(ctx, "fence_host", _confirmed_rebooted, host["id"])
