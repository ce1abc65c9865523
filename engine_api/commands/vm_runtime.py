"""Running VMs: start (placement, launch on the host's agent), stop, shutdown, reboot, suspend, and the restart
of highly available VMs whose host died (migration: ``vm_migration``).

A shutdown or a reboot only asks the guest (ACPI, or its agent): the VM stays ``powering_down`` or
``reboot_in_progress`` until monitoring sees it happen, and the power loop (``loops.power``) forces it (power
off, reset) once ``vm_graceful_shutdown_timeout`` passed. A reboot never destroys and starts the VM again.

Each action commits its decision (the VM's new transient status and host) first, then a job talks to
the agents and commits the outcome. From just before that decision until its job ends the VM's id is in
``engine.busy_vms``, so host monitoring leaves it alone (a job may wait in the queue a while); every commit
here also stamps the VM (``_changed``), so monitoring never applies a host report asked for before it.
After an engine restart the set is empty and monitoring settles any VM left in a transient status from
what its host reports.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

from engine_api.commands import placement
from engine_api.commands.runner import run
from engine_api.commands.storage_pools import pool_spec
from engine_api.commands.tx import Tx, now_iso
from engine_api.core.context import Context
from engine_api.core.errors import Conflict
from engine_api.protocol.client import AgentError

RUNNING = {"up", "paused", "powering_up", "powering_down", "reboot_in_progress", "not_responding"}
T = TypeVar("T")


@contextmanager
def _busy(ctx: Context, vm_id: str):
    """A job's hold on its VM: jobs of one VM run one after the other, in the order they took the lock."""
    with ctx.engine.vm_lock(vm_id):
        ctx.engine.busy_vms.add(vm_id)
        try:
            yield
        finally:
            ctx.engine.busy_vms.discard(vm_id)


def _claimed(ctx: Context, vm_id: str, decide_and_submit: Callable[[], T]) -> T:
    """Mark the VM busy *before* committing its transient status and submitting its job (the job's
    ``_busy`` releases it): a job waiting in the queue must not look like one lost in an engine restart."""
    busy = ctx.engine.busy_vms
    fresh = not busy.mine(vm_id)  # another engine's hold is not ours to release
    busy.add(vm_id)
    try:
        return decide_and_submit()
    except BaseException:
        if fresh:
            busy.discard(vm_id)
        raise


def _save(tx: Tx, vm: dict) -> None:
    """Update a VM this module moves, stamped so that monitoring ignores host reports older than this."""
    vm["_changed"] = time.time()
    tx.update("vm", vm)


def _place(tx: Tx, vm: dict, exclude: set[str] | None = None, wanted: dict | None = None) -> dict:
    """The host the cluster's scheduling policy chooses (see :mod:`engine_api.commands.placement`)."""
    return placement.place(tx, vm, exclude, wanted)


def spec(tx: Tx, vm: dict) -> dict:
    """Everything the agent needs to run the VM."""
    disks = []
    for a in tx.find_by("disk_attachment", vm_id=vm["id"]):
        if a.get("active") is False:
            continue
        disk = tx.must("disk", a["disk"]["id"])
        sd_id = (disk.get("storage_domain") or {}).get("id")
        disks.append({"id": disk["id"], "pool": sd_id, "volume": disk.get("_volume") or disk["id"],
                      "size": disk.get("provisioned_size"),
                      "format": disk.get("format", "cow"), "sparse": disk.get("sparse", True),
                      "interface": a.get("interface"), "bootable": a.get("bootable", False),
                      "read_only": a.get("read_only", False)})
    nics = []
    for nic in tx.find_by("nic", vm_id=vm["id"]):
        if nic.get("plugged") is False:
            continue
        bridge = None
        if nic.get("vnic_profile"):
            profile = tx.get("vnic_profile", nic["vnic_profile"]["id"])
            net = tx.get("network", profile["network"]["id"]) if profile else None
            bridge = net.get("vdsm_name") or net["name"] if net else None
        nics.append({"id": nic["id"], "name": nic["name"], "mac": (nic.get("mac") or {}).get("address"),
                     "bridge": bridge, "interface": nic.get("interface"), "linked": nic.get("linked", True)})
    topology = (vm.get("cpu") or {}).get("topology") or {}
    props = {p["name"]: p.get("value", "") for p in vm.get("custom_properties") or [] if p.get("name")}
    return {"id": vm["id"], "name": vm["name"], "memory": vm.get("memory"), "cpu": topology,
            "boot": ((vm.get("os") or {}).get("boot") or {}).get("devices") or ["hd"], "custom_properties": props,
            **({"lease": {"pool": vm["lease"]["storage_domain"]["id"]}} if vm.get("lease") else {}),
            "disks": disks, "nics": nics, "display": _display(vm),
            **({"restore_memory": vm["_restore_memory"]} if vm.get("_restore_memory") else {})}


def _display(vm: dict) -> dict | None:
    """The VM's display as the agent builds its graphics device; None for a headless VM."""
    display = vm.get("display") or {}
    if display.get("type") not in ("vnc", "spice"):
        return None
    return {"type": display["type"], "monitors": display.get("monitors") or 1}


# ---------------------------------------------------------------- start


def _prepare_start(tx: Tx, vm_id: str, wanted: dict | None, exclude: set[str] | None = None,
                   reason: str = "") -> dict:
    vm = tx.must("vm", vm_id)
    if vm["status"] in RUNNING or vm["status"] in ("wait_for_launch", "migrating", "restoring_state"):
        raise Conflict(f"Cannot run VM {vm['name']}: it is already {vm['status'].replace('_', ' ')}.")
    for a in tx.find_by("disk_attachment", vm_id=vm_id):
        disk = tx.must("disk", a["disk"]["id"])
        if a.get("active", True) and disk.get("status") != "ok":
            raise Conflict(f"Cannot run VM {vm['name']}: disk {disk['name']} is {disk.get('status')}.")
    if vm["status"] == "suspended" and vm.get("host"):
        host = tx.must("host", vm["host"]["id"])
        status = "restoring_state"
    else:
        host = _place(tx, vm, exclude, wanted)
        status = "wait_for_launch"
    vm.update(status=status, host={"id": host["id"]})
    _save(tx, vm)
    tx.event(153, f"VM {vm['name']} was started by {tx.who} (Host: {host['name']}){reason}.", vm=vm["id"],
             host=host["id"])
    return vm


def _launched(tx: Tx, vm_id: str, host_id: str) -> None:
    vm = tx.must("vm", vm_id)
    host = tx.must("host", host_id)
    vm.update(status="up", host={"id": host_id}, start_time=now_iso(), run_once=False)
    vm.pop("_restore_memory", None)  # a previewed snapshot's RAM is resumed once
    vm.pop(HA_RESTART, None)
    _save(tx, vm)
    tx.event(32, f"VM {vm['name']} started on Host {host['name']}.", vm=vm_id, host=host_id)


def _failed(tx: Tx, vm_id: str, what: str, error: str, status: str = "down", keep_host: bool = False) -> None:
    vm = tx.must("vm", vm_id)
    vm["status"] = status
    if not keep_host:
        vm["host"] = None
    _save(tx, vm)
    tx.event(54, f"Failed to {what} VM {vm['name']}: {error}", "error", vm=vm_id)


def launch(ctx: Context, vm_id: str) -> None:
    with _busy(ctx, vm_id):
        with ctx.engine.db.read() as conn:
            tx = Tx(conn, ctx)
            vm = tx.must("vm", vm_id)
            host = tx.must("host", vm["host"]["id"])
            spec_ = spec(tx, vm)
            pools = {d["pool"]: pool_spec(tx.must("storage_domain", d["pool"])) for d in spec_["disks"] if d["pool"]}
            if spec_.get("lease"):  # the host reaches the lease's storage domain before it takes the lease
                pools[spec_["lease"]["pool"]] = pool_spec(tx.must("storage_domain", spec_["lease"]["pool"]))
        try:
            for pool in pools.values():
                ctx.engine.broker.connect_storage(host, pool)
            ctx.engine.broker.create_vm(host, spec_)
        except AgentError as e:
            run(ctx, "run_vm", _launch_failed, vm_id, f"Host {host['name']}: {e}")
            return
        run(ctx, "run_vm", _launched, vm_id, host["id"])


def _launch_failed(tx: Tx, vm_id: str, error: str) -> None:
    _failed(tx, vm_id, "run", error)
    if HA_RESTART in tx.must("vm", vm_id):  # the launch of a highly available restart: it is tried again
        _restart_failed(tx, vm_id, error)


def start(ctx: Context, parent: dict | None, vm: dict, action: dict) -> dict:
    wanted = ((action.get("vm") or {}).get("placement_policy") or {}).get("hosts")

    def decide_and_submit() -> None:
        run(ctx, "run_vm", _prepare_user_start, vm["id"], wanted[0] if wanted else None)
        ctx.engine.jobs.submit(ctx, f"Launching VM {vm['name']}", launch, ctx, vm["id"])

    _claimed(ctx, vm["id"], decide_and_submit)
    return {}


def _prepare_user_start(tx: Tx, vm_id: str, wanted: dict | None) -> dict:
    vm = _prepare_start(tx, vm_id, wanted)
    if vm.pop(HA_RESTART, None) is not None:  # the user's start replaces the pending restart
        _save(tx, vm)
    return vm


# ---------------------------------------------------------------- highly available restarts
# A highly available VM whose restart failed (no host fits, the launch failed) is down and marked: HA_RESTART
# holds the failed tries and when the last one failed. ``loops.ha`` tries it again through the same claim and
# start as the first restart, and gives up after ``max_num_of_tries_to_run_failed_auto_start_vm`` tries (as
# oVirt's AutoStartVmsRunner); a user start or stop takes the VM over and drops the mark.

HA_RESTART = "_ha_restart"


class _NotNeeded(Exception):
    """The VM no longer waits for a restart (it releases the claim)."""


def restart_highly_available(ctx: Context, vm_id: str, exclude: set[str], retry: bool = False) -> None:
    """Start a highly available VM elsewhere: the first restart of one left unknown on a host that died, or
    (``retry``) one that is down after a restart failed."""
    def decide_and_submit() -> None:
        if run(ctx, "restart_ha_vm", _prepare_start_ha, vm_id, exclude, retry) is None:
            raise _NotNeeded
        ctx.engine.jobs.submit(ctx, f"Restarting highly available VM {vm_id}", launch, ctx, vm_id)

    try:
        _claimed(ctx, vm_id, decide_and_submit)
    except _NotNeeded:
        pass
    except Conflict as e:  # no host fits, a disk is not ok: the refusal is recorded by run(); it is retried
        run(ctx, "restart_ha_vm", _restart_failed, vm_id, e.detail)


def _prepare_start_ha(tx: Tx, vm_id: str, exclude: set[str], retry: bool) -> dict | None:
    vm = tx.must("vm", vm_id)
    if retry and (vm["status"] != "down" or HA_RESTART not in vm):
        return None  # started, stopped or given up meanwhile
    vm["status"] = "down"  # its host is gone; it is no longer running anywhere we can reach
    vm.setdefault(HA_RESTART, {"tries": 0})
    _save(tx, vm)
    return _prepare_start(tx, vm_id, None, exclude, "; restarted because it is highly available")


def _restart_failed(tx: Tx, vm_id: str, error: str) -> None:
    """Count a failed restart (oVirt's HA_VM_RESTART_FAILED, 9603); the VM is down, marked for another try."""
    vm = tx.must("vm", vm_id)
    if vm["status"] not in ("unknown", "down"):
        return
    mark = vm.get(HA_RESTART) or {"tries": 0}
    vm.update(status="down", host=None)
    vm[HA_RESTART] = {"tries": int(mark.get("tries") or 0) + 1, "at": time.time(), "error": error}
    _save(tx, vm)
    tx.event(9603, f"Restart of highly available VM {vm['name']} failed (try {vm[HA_RESTART]['tries']}): "
                   f"{error}", "error", vm=vm_id)


def give_up_restart(tx: Tx, vm_id: str, tries: int, tell: bool = True) -> None:
    """No more tries: the VM stays down until a user starts it (``tell``: an event says so)."""
    vm = tx.must("vm", vm_id)
    if vm.pop(HA_RESTART, None) is None:
        return
    _save(tx, vm)
    if tell:
        tx.event(9106, f"Highly available VM {vm['name']} is not restarted any more: {tries} tries failed; it "
                       "stays down until it is started.", "error", vm=vm_id)


def _cancel_restart(tx: Tx, vm_id: str) -> None:
    vm = tx.must("vm", vm_id)
    if vm["status"] != "down" or vm.pop(HA_RESTART, None) is None:
        raise Conflict(f"Cannot stop VM {vm['name']}: it is {vm['status'].replace('_', ' ')}.")
    _save(tx, vm)
    tx.event(33, f"VM {vm['name']} was stopped by {tx.who}: it is no longer restarted as highly available.",
             vm=vm_id)


# ---------------------------------------------------------------- power and migration


def _prepare(tx: Tx, vm_id: str, verb: str, allowed: set[str], status: str) -> dict:
    vm = tx.must("vm", vm_id)
    if vm["status"] not in allowed:
        raise Conflict(f"Cannot {verb} VM {vm['name']}: it is {vm['status'].replace('_', ' ')}.")
    vm["_before"] = vm["status"]
    vm["status"] = status
    vm.pop(HA_RESTART, None)  # the user takes the VM over from a pending highly available restart
    _save(tx, vm)
    tx.event(36, f"VM {vm['name']}: {verb} requested by {tx.who}.", vm=vm_id)
    return vm


POWER_FIELDS = ("_before", "_power_deadline", "_reboot_base")  # a power request's bookkeeping on the VM


def _clear_power(vm: dict) -> None:
    for key in POWER_FIELDS:
        vm.pop(key, None)


def _stopped(tx: Tx, vm_id: str, verb: str) -> None:
    vm = tx.must("vm", vm_id)
    vm.update(status="down", host=None, stop_time=now_iso(), next_run_configuration_exists=False)
    _clear_power(vm)
    _save(tx, vm)
    tx.event(33 if verb == "stop" else 37, f"VM {vm['name']} was powered off ({verb}) by {tx.who}.", vm=vm_id)


def _settled(tx: Tx, vm_id: str, status: str, message: str) -> None:
    vm = tx.must("vm", vm_id)
    vm["status"] = status
    _clear_power(vm)
    _save(tx, vm)
    tx.event(35, message.format(name=vm["name"]), vm=vm_id)


def _requested(tx: Tx, vm_id: str, op: str, timeout: float, reboots: int = 0) -> None:
    """The guest was asked to power down or reboot: the VM keeps its transient status until monitoring sees it
    happen, or until ``timeout`` seconds have passed and the power loop forces it (``force_power``)."""
    vm = tx.must("vm", vm_id)
    vm["_power_deadline"] = time.time() + timeout
    if op == "reboot":
        vm["_reboot_base"] = reboots
    _save(tx, vm)


def _power_job(ctx: Context, vm_id: str, verb: str, op: str) -> None:
    with _busy(ctx, vm_id):
        with ctx.engine.db.read() as conn:
            vm = Tx(conn, ctx).must("vm", vm_id)
            host = Tx(conn, ctx).get("host", (vm.get("host") or {}).get("id", ""))
        if host is None:
            run(ctx, f"{verb}_vm", _stopped, vm_id, verb)
            return
        try:
            if op in ("shutdown", "reboot"):
                answer = ctx.engine.broker.vm_op(host, vm_id, op)
                if answer.get("status") == "down":  # it went down at once
                    run(ctx, f"{verb}_vm", _stopped, vm_id, verb)
                elif answer.get("status") == "up":  # it rebooted at once
                    run(ctx, "reboot_vm", _settled, vm_id, "up", "VM {name} was rebooted.")
                else:
                    run(ctx, f"{verb}_vm", _requested, vm_id, op, graceful_timeout(ctx),
                        int(answer.get("reboots") or 0))
            elif op == "hibernate":
                ctx.engine.broker.vm_op(host, vm_id, "hibernate")
                run(ctx, "suspend_vm", _settled, vm_id, "suspended", "VM {name} was suspended.")
            else:
                ctx.engine.broker.vm_op(host, vm_id, op)
                run(ctx, f"{verb}_vm", _stopped, vm_id, verb)
        except AgentError as e:
            if e.status == 404:  # the host no longer has it: it is down
                run(ctx, f"{verb}_vm", _stopped, vm_id, verb)
                return
            run(ctx, f"{verb}_vm", _failed, vm_id, verb, str(e), vm.get("_before") or "up", True)


def _power(ctx: Context, vm: dict, verb: str, op: str, allowed: set[str], status: str) -> dict:
    def decide_and_submit() -> None:
        run(ctx, f"{verb}_vm", _prepare, vm["id"], verb, allowed, status)
        ctx.engine.jobs.submit(ctx, f"{verb.capitalize()} VM {vm['name']}", _power_job, ctx, vm["id"], verb, op)

    _claimed(ctx, vm["id"], decide_and_submit)
    return {}


ANY_RUNNING = RUNNING | {"unknown", "suspended", "wait_for_launch", "migrating"}


def stop(ctx: Context, parent: dict | None, vm: dict, action: dict) -> dict:
    if vm["status"] == "down" and HA_RESTART in vm:  # waiting for another restart try: that is what stops
        run(ctx, "stop_vm", _cancel_restart, vm["id"])
        return {}
    return _power(ctx, vm, "stop", "destroy", ANY_RUNNING, "powering_down")


def shutdown(ctx: Context, parent: dict | None, vm: dict, action: dict) -> dict:
    return _power(ctx, vm, "shutdown", "shutdown", RUNNING, "powering_down")


def reboot(ctx: Context, parent: dict | None, vm: dict, action: dict) -> dict:
    return _power(ctx, vm, "reboot", "reboot", {"up"}, "reboot_in_progress")


def suspend(ctx: Context, parent: dict | None, vm: dict, action: dict) -> dict:
    return _power(ctx, vm, "suspend", "hibernate", {"up"}, "saving_state")


def graceful_timeout(ctx: Context) -> float:
    """Seconds a guest has to power down or reboot by itself (oVirt's ``VmGracefulShutdownTimeout``)."""
    return float(ctx.engine.config.get("vm_graceful_shutdown_timeout", 30.0))


def _prepare_forced(tx: Tx, vm_id: str, now: float, timeout: float) -> str | None:
    """The guest let its power request's deadline pass: returns the forced step (``destroy`` a VM that did not
    power down, ``reset`` one that did not reboot), or None when it settled meanwhile."""
    vm = tx.must("vm", vm_id)
    deadline = vm.get("_power_deadline") or vm.get("_changed", 0) + timeout  # none: left by an engine restart
    if vm["status"] not in FORCEABLE or now < deadline or not vm.get("host"):
        return None
    host = tx.must("host", vm["host"]["id"])
    if vm["status"] == "powering_down":
        tx.event(9013, f"VM {vm['name']} did not shut down within {timeout:g} seconds on Host {host['name']}; "
                       "it is powered off.", "warning", vm=vm_id, host=host["id"])
        op = "destroy"
    else:
        tx.event(9014, f"VM {vm['name']} did not reboot within {timeout:g} seconds on Host {host['name']}; "
                       "it is reset.", "warning", vm=vm_id, host=host["id"])
        op = "reset"
    vm["_power_deadline"] = now + timeout  # forced once; tried again only if this one fails to settle it
    _save(tx, vm)
    return op


FORCEABLE = {"powering_down", "reboot_in_progress"}


def _forced_job(ctx: Context, vm_id: str, op: str) -> None:
    with _busy(ctx, vm_id):
        with ctx.engine.db.read() as conn:
            tx = Tx(conn, ctx)
            vm = tx.must("vm", vm_id)
            host = tx.get("host", (vm.get("host") or {}).get("id", ""))
        if vm["status"] not in FORCEABLE:  # it settled while the job waited
            return
        verb = "shutdown" if op == "destroy" else "reboot"
        try:
            if host is not None:
                ctx.engine.broker.vm_op(host, vm_id, op)
        except AgentError as e:
            if e.status != 404:
                run(ctx, f"{verb}_vm", _failed, vm_id, f"force the {verb} of", str(e), vm["status"], True)
                return
            op = "destroy"  # the host no longer has it: it is down
        if op == "destroy":
            run(ctx, f"{verb}_vm", _stopped, vm_id, "stop")
        else:
            run(ctx, "reboot_vm", _settled, vm_id, "up", "VM {name} was rebooted (reset).")


class _Settled(Exception):
    """The VM no longer needs forcing (it releases the claim)."""


def force_power(ctx: Context, vm_id: str) -> None:
    """Called by the power loop for a VM past its power request's deadline (see ``loops.power``)."""
    now, timeout = time.time(), graceful_timeout(ctx)

    def decide_and_submit() -> None:
        op = run(ctx, "force_power", _prepare_forced, vm_id, now, timeout)
        if op is None:
            raise _Settled
        ctx.engine.jobs.submit(ctx, f"Forcing the {'power off' if op == 'destroy' else 'reset'} of VM {vm_id}",
                               _forced_job, ctx, vm_id, op)

    if vm_id in ctx.engine.busy_vms:
        return  # a job moves it (a stop, say): it decides
    try:
        _claimed(ctx, vm_id, decide_and_submit)
    except _Settled:
        pass
