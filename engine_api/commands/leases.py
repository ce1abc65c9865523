"""VM leases as the storage shows them: the engine reads a lease through an up host of the VM's data center
(the engine itself need not reach the storage), which reads the record on the storage domain."""

from __future__ import annotations

from engine_api.commands.storage_pools import pool_spec
from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.protocol.client import AgentError


def lease_domain(vm: dict) -> str | None:
    return ((vm.get("lease") or {}).get("storage_domain") or {}).get("id")


def read(ctx: Context, vm: dict, exclude: set[str]) -> dict | None:
    """The VM's lease (``owner``, ``age`` in seconds, ``expired``) as an up host other than ``exclude``
    reads it; None when no such host could read it."""
    sd_id = lease_domain(vm)
    if sd_id is None:
        return None
    with ctx.engine.db.read() as conn:
        tx = Tx(conn, ctx)
        dc_id = tx.must("cluster", vm["cluster"]["id"])["data_center"]["id"]
        clusters = {c["id"] for c in tx.find_by("cluster", data_center_id=dc_id)}
        readers = [h for h in tx.find("host") if h.get("status") == "up" and h["id"] not in exclude
                   and (h.get("cluster") or {}).get("id") in clusters]
        pool = pool_spec(tx.must("storage_domain", sd_id))
    for host in readers:
        try:
            ctx.engine.broker.connect_storage(host, pool)
            return ctx.engine.broker.lease_status(host, sd_id, vm["id"])
        except AgentError:
            continue
    return None
