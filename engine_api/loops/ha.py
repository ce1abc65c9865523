"""High availability: what becomes of the highly available VMs of a host that stopped answering.

A silent host may still run its VMs (its agent hangs, its network is cut), so a VM is started elsewhere only
when it cannot run there any more:

- a VM with a lease: once its lease has expired on the storage (read through another host). A live host's
  lease keeper renews it even when the agent hangs; a host cut from the storage has its keeper destroy the
  VM before the lease expires; a dead host renews nothing.
- a VM without a lease: once its host is fenced. SSH soft fencing restarts the agent (oVirt's first step);
  it proves nothing about the VMs, which the restarted agent reports again. With no power management, a
  host that cannot be fenced keeps its VMs unknown until the user confirms it was rebooted (manual fence):
  never two copies, even at the cost of availability, as in oVirt.

A restart that fails (no host fits, the launch fails there) leaves the VM down and marked: it is tried again
every ``retry_to_run_auto_start_vm_interval_in_seconds`` (30) until ``max_num_of_tries_to_run_failed_auto_start_vm``
(10) tries failed, oVirt's ``RetryToRunAutoStartVmIntervalInSeconds`` and ``MaxNumOfTriesToRunFailedAutoStartVm``.

Every monitoring round looks at the non responsive hosts; the decisions are made here, the commands act
(``host_runtime.soft_fence``, ``vm_runtime.restart_highly_available``, ``vm_runtime.give_up_restart``).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from sqlalchemy import String, cast

from engine_api.commands import host_runtime, leases, vm_runtime
from engine_api.commands.runner import run
from engine_api.commands.system import system_context
from engine_api.commands.tx import Tx
from engine_api.store.schema import col

if TYPE_CHECKING:
    from engine_api.core.context import Context
    from engine_api.engine import Engine

log = logging.getLogger(__name__)
RESTART_RETRY = 30.0  # oVirt's RetryToRunAutoStartVmIntervalInSeconds
RESTART_TRIES = 10  # oVirt's MaxNumOfTriesToRunFailedAutoStartVm
SCAN_PERIOD = 5.0  # seconds between two looks for VMs whose restart failed (half the interval when shorter)
FENCE_QUIET_TIME = 180.0  # oVirt's FenceQuietTimeBetweenOperationsInSec


def highly_available(vm: dict) -> bool:
    return bool((vm.get("high_availability") or {}).get("enabled"))


def fence_due(host: dict, now: float, quiet: float) -> bool:
    """Whether to (soft) fence the host now: not yet in this silence, or the last try is ``quiet`` seconds old
    (a try an engine restart cut short included); never after the user confirmed the host rebooted."""
    fenced = host.get("_fenced")
    if not fenced:
        return True
    return fenced.get("state") != "manual" and now - float(fenced.get("at") or 0) >= quiet


RUNS = {"up", "powering_up", "paused", "powering_down", "reboot_in_progress", "not_responding", "migrating",
        "saving_state", "suspended", "restoring_state"}


def restart_retry(vm: dict, now: float, interval: float, max_tries: int) -> str | None:
    """What to do with a VM whose highly available restart failed: ``retry`` once ``interval`` seconds passed
    since the last failure, ``give_up`` after ``max_tries`` failures, ``drop`` the mark of a VM that is no
    longer highly available or that runs (an engine stopped during its launch left the mark); None meanwhile
    (and for any VM not waiting for a retry)."""
    mark = vm.get(vm_runtime.HA_RESTART)
    if not mark:
        return None
    if vm.get("status") != "down":
        return "drop" if vm.get("status") in RUNS else None  # else its restart is under way
    if not highly_available(vm):
        return "drop"
    if int(mark.get("tries") or 0) >= max_tries:
        return "give_up"
    return "retry" if now - float(mark.get("at") or 0) >= interval else None


def _priority(vm: dict) -> int:
    return -int((vm.get("high_availability") or {}).get("priority") or 0)


class HighAvailability:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.tried: dict[str, float] = {}  # VM -> when its restart was last tried
        self.told: set[tuple[str, str]] = set()  # (host, VM) whose wait for its lease was told
        self.scanned = 0.0  # when VMs whose restart failed were last looked for

    def run_once(self) -> None:
        ctx = system_context(self.engine, "monitor")
        with self.engine.db.read() as conn:
            tx = Tx(conn, ctx)
            silent = [h for h in tx.find("host") if h.get("status") == "non_responsive"]
            stranded = {h["id"]: [vm for vm in tx.find_by("vm", host_id=h["id"])
                                  if vm["status"] == "unknown" and highly_available(vm)] for h in silent}
        waiting = {(h, vm["id"]) for h, vms in stranded.items() for vm in vms}
        self.told &= waiting
        self.tried = {vm: at for vm, at in self.tried.items() if vm in {v for _, v in waiting}}
        now = time.time()
        quiet = float(self.engine.config.get("fence_quiet_time", FENCE_QUIET_TIME))
        self._retry_failed_restarts(ctx, now)
        for host in silent:
            vms = sorted(stranded[host["id"]], key=_priority)  # the highest priority first, as oVirt
            unleased = [vm for vm in vms if not leases.lease_domain(vm)]
            if (host.get("_fenced") or {}).get("state") == "manual":  # the user vouches the host runs nothing
                for vm in unleased:
                    self._restart(ctx, vm, host, now)
            elif unleased and fence_due(host, now, quiet):
                host_runtime.soft_fence(ctx, host["id"], [vm["name"] for vm in unleased])
            for vm in vms:
                if leases.lease_domain(vm):
                    self._leased(ctx, vm, host, now)

    def _leased(self, ctx: Context, vm: dict, host: dict, now: float) -> None:
        lease = leases.read(ctx, vm, exclude={host["id"]})
        if lease is not None and lease.get("expired"):
            self._restart(ctx, vm, host, now)
            return
        if (host["id"], vm["id"]) in self.told:
            return
        self.told.add((host["id"], vm["id"]))
        if lease is None:
            why = "no other up host could read its lease"
        else:
            why = f"its lease was renewed {lease.get('age')} s ago and expires {lease.get('expiry')} s after that"
        run(ctx, "monitor_host", host_runtime.note_waiting_for_lease, vm["id"], host["id"], why)

    def _retry_failed_restarts(self, ctx: Context, now: float) -> None:
        """VMs whose restart failed are looked for at most every few seconds (the marked ones are found in the
        database, without decoding every VM), so a retry is at most that late."""
        interval = float(self.engine.config.get("retry_to_run_auto_start_vm_interval_in_seconds", RESTART_RETRY))
        if now - self.scanned < min(interval / 2, SCAN_PERIOD):
            return
        self.scanned = now
        max_tries = int(self.engine.config.get("max_num_of_tries_to_run_failed_auto_start_vm", RESTART_TRIES))
        marked_doc = cast(col("vm", "doc"), String).like(f'%"{vm_runtime.HA_RESTART}"%')
        with self.engine.db.read() as conn:
            marked = [vm for vm in Tx(conn, ctx).find("vm", marked_doc) if vm.get(vm_runtime.HA_RESTART)]
        for vm in sorted(marked, key=_priority):
            if vm["id"] in self.engine.busy_vms:
                continue  # a job moves it (a user's start, say): it decides
            decision = restart_retry(vm, now, interval, max_tries)
            if decision == "retry":
                vm_runtime.restart_highly_available(ctx, vm["id"], exclude=set(), retry=True)
            elif decision in ("give_up", "drop"):
                tries = int(vm[vm_runtime.HA_RESTART].get("tries") or 0)
                run(ctx, "restart_ha_vm", vm_runtime.give_up_restart, vm["id"], tries, decision == "give_up")

    def _restart(self, ctx: Context, vm: dict, host: dict, now: float) -> None:
        interval = float(self.engine.config.get("retry_to_run_auto_start_vm_interval_in_seconds", RESTART_RETRY))
        if now - self.tried.get(vm["id"], 0.0) < interval:
            return
        self.tried[vm["id"]] = now
        vm_runtime.restart_highly_available(ctx, vm["id"], exclude={host["id"]})
