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

Every monitoring round looks at the non responsive hosts; the decisions are made here, the commands act
(``host_runtime.soft_fence``, ``vm_runtime.restart_highly_available``).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from engine_api.commands import host_runtime, leases, vm_runtime
from engine_api.commands.runner import run
from engine_api.commands.system import system_context
from engine_api.commands.tx import Tx
from engine_api.store.schema import col

if TYPE_CHECKING:
    from engine_api.core.context import Context
    from engine_api.engine import Engine

log = logging.getLogger(__name__)
RESTART_RETRY = 30.0  # seconds before a restart that found no host is tried again
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


def _priority(vm: dict) -> int:
    return -int((vm.get("high_availability") or {}).get("priority") or 0)


class HighAvailability:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.tried: dict[str, float] = {}  # VM -> when its restart was last tried
        self.told: set[tuple[str, str]] = set()  # (host, VM) whose wait for its lease was told

    def run_once(self) -> None:
        ctx = system_context(self.engine, "monitor")
        with self.engine.db.read() as conn:
            tx = Tx(conn, ctx)
            silent = [h for h in tx.find("host") if h.get("status") == "non_responsive"]
            stranded = {h["id"]: [vm for vm in tx.find("vm", col("vm", "host_id") == h["id"])
                                  if vm["status"] == "unknown" and highly_available(vm)] for h in silent}
        waiting = {(h, vm["id"]) for h, vms in stranded.items() for vm in vms}
        self.told &= waiting
        self.tried = {vm: at for vm, at in self.tried.items() if vm in {v for _, v in waiting}}
        now = time.time()
        quiet = float(self.engine.config.get("fence_quiet_time", FENCE_QUIET_TIME))
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

    def _restart(self, ctx: Context, vm: dict, host: dict, now: float) -> None:
        if now - self.tried.get(vm["id"], 0.0) < RESTART_RETRY:
            return
        self.tried[vm["id"]] = now
        vm_runtime.restart_highly_available(ctx, vm["id"], exclude={host["id"]})
