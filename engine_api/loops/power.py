"""Power requests a guest did not honour: every monitoring round, a VM still ``powering_down`` or
``reboot_in_progress`` past its deadline (``vm_graceful_shutdown_timeout`` after the request) is forced:
powered off, or reset. The decision is made here; the command does it, as for a request over HTTP."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from engine_api.commands import vm_runtime
from engine_api.commands.system import system_context
from engine_api.commands.tx import Tx
from engine_api.store.schema import col

if TYPE_CHECKING:
    from engine_api.engine import Engine

log = logging.getLogger(__name__)


def overdue(vms: list[dict], busy: set[str], now: float, timeout: float) -> list[str]:
    """The VMs whose guest let its power request's deadline pass; a VM a job moves is left to the job. A VM with
    no deadline (an engine restart left it so) counts from its last change."""
    return [vm["id"] for vm in vms
            if vm.get("status") in vm_runtime.FORCEABLE and vm["id"] not in busy
            and now >= (vm.get("_power_deadline") or vm.get("_changed", 0) + timeout)]


def check(engine: Engine) -> None:
    ctx = system_context(engine, "power")
    with engine.db.read() as conn:
        vms = Tx(conn, ctx).find("vm", col("vm", "host_id").isnot(None))
    for vm_id in overdue(vms, set(engine.busy_vms), time.time(), vm_runtime.graceful_timeout(ctx)):
        try:
            vm_runtime.force_power(ctx, vm_id)
        except Exception:  # one VM's trouble must not stop the others'
            log.exception("forcing the power request of VM %s failed", vm_id)
