"""High availability: what becomes of the highly available VMs of a host that stopped answering.

Every monitoring round, for each non responsive host, its highly available VMs (unknown since the host went
silent) are restarted on another host of their cluster, once each while the host stays silent. The decision
is made here; ``commands.vm_runtime`` places and starts the VM, as a user's start would.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from engine_api.commands import vm_runtime
from engine_api.commands.system import system_context
from engine_api.commands.tx import Tx
from engine_api.store.schema import col

if TYPE_CHECKING:
    from engine_api.engine import Engine

log = logging.getLogger(__name__)


def highly_available(vm: dict) -> bool:
    return bool((vm.get("high_availability") or {}).get("enabled"))


class HighAvailability:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.tried: set[tuple[str, str]] = set()  # (host, VM) restarts tried while the host stays silent

    def run_once(self) -> None:
        ctx = system_context(self.engine, "monitor")
        with self.engine.db.read() as conn:
            tx = Tx(conn, ctx)
            silent = [h for h in tx.find("host") if h.get("status") == "non_responsive"]
            stranded = {h["id"]: [vm for vm in tx.find("vm", col("vm", "host_id") == h["id"])
                                  if vm["status"] == "unknown" and highly_available(vm)] for h in silent}
        self.tried &= {(h, vm["id"]) for h, vms in stranded.items() for vm in vms}
        for host_id, vms in stranded.items():
            for vm in vms:
                if (host_id, vm["id"]) in self.tried:
                    continue
                self.tried.add((host_id, vm["id"]))
                vm_runtime.restart_highly_available(ctx, vm["id"], exclude={host_id})
