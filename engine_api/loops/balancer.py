"""Load balancing: every ``vds_load_balancing_interval_in_minutes`` (oVirt's VdsLoadBalancingIntervalInMinutes)
while ``enable_vds_load_balancing`` is on, each cluster's balancer looks at the cluster and may propose one VM to
move. The decision is made here, on the snapshot the scheduler reads; the migration goes through the migration
command and the cluster's placement, like a migration asked over HTTP. At most one VM per cluster per cycle; a
cluster where a VM is moving already waits for the next cycle.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine_api.commands import placement, scheduling, vm_migration
from engine_api.commands.system import system_context
from engine_api.commands.tx import Tx
from engine_api.core.errors import Fault
from engine_api.scheduler.balancers import Balance
from engine_api.scheduler.units import BY_ID

if TYPE_CHECKING:
    from engine_api.engine import Engine

log = logging.getLogger(__name__)
TRANSIENT = {"migrating", "wait_for_launch", "powering_up", "powering_down", "restoring_state", "saving_state",
             "reboot_in_progress"}


@dataclass
class Move:
    cluster: str
    vm: str
    destination: str | None
    reason: str
    error: str | None = None


def proposals(engine: Engine) -> list[tuple[str, Balance]]:
    """What each cluster's balancer proposes now: (cluster name, proposal)."""
    ctx = system_context(engine, "balancer")
    out = []
    busy = set(engine.busy_vms)
    with engine.db.read() as conn:
        tx = Tx(conn, ctx)
        for cluster in tx.find("cluster"):
            policy, props = scheduling.cluster_policy(conn, cluster)
            unit = BY_ID.get(policy.balance or "")
            if not policy.balance or (unit is not None and unit.name == "None"):
                continue
            snap = placement.snapshot(tx, cluster)
            if any(v.status in TRANSIENT or v.id in busy for v in snap.vms):
                continue  # a VM is moving: the next cycle sees where it ends
            proposal = unit.fn(snap, props) if unit is not None else _external(tx, cluster, policy, snap, props)
            if proposal is not None:
                out.append((cluster["name"], proposal))
    return out


def _external(tx: Tx, cluster: dict, policy, snap, props: dict[str, str]) -> Balance | None:
    """An external balancer (one per cluster, as the proxy runs it) on the cluster's up hosts: ``(vm id, [host
    ids])``; no hosts named: any other host of the cluster."""
    runner = placement.external_units(tx, policy, cluster)
    if runner is None or runner.name(policy.balance) is None:
        return None
    up = [h.id for h in snap.hosts if h.status == "up"]
    found = runner.balance(policy.balance, up, props)
    if found is None or snap.vm(found[0]) is None:
        return None
    vm, targets = found
    source = snap.vm(vm).host
    return Balance(vm, tuple(targets or [h for h in up if h != source]),
                   f"the external balancer {runner.name(policy.balance)} chose it")


def run_once(engine: Engine) -> list[Move]:
    """One balancing cycle over every cluster."""
    ctx = system_context(engine, "balancer")
    moves = []
    for cluster, proposal in proposals(engine):
        move = Move(cluster, proposal.vm, None, proposal.reason)
        try:
            move.destination = vm_migration.balance_migrate(ctx, proposal.vm, set(proposal.candidates), proposal.reason)
        except Fault as e:  # no candidate fits, or the VM changed meanwhile: the refusal is an event already
            move.error = e.detail
        moves.append(move)
    return moves


class Balancer:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="vdc-balancer", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def interval(self) -> float:
        return max(0.1, float(self.engine.config.get("vds_load_balancing_interval_in_minutes", 1)) * 60)

    def _loop(self) -> None:
        while not self.stop_event.wait(self.interval()):
            if not self.engine.config.get("enable_vds_load_balancing", True):
                continue
            try:
                run_once(self.engine)
            except Exception:  # a cycle's trouble must not end balancing
                log.exception("load balancing cycle failed")

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout=10)
