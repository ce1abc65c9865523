"""Live migration of a running VM to another host of its cluster, and its cancellation.

The decision (``migrating``, the destination chosen) is committed first; then a job asks the source's agent to
migrate, which lets the hypervisors do it (libvirt peer to peer, to the destination's reported
``migration_uri``): the VM keeps running on the source until the handover, and two copies never run. The VM
stays ``migrating`` meanwhile; monitoring keeps the latest progress the source reports in
``_migration_progress``. Whatever goes wrong, the job settles the VM where it really runs: it asks the hosts.
"""

from __future__ import annotations

from engine_api.commands import placement
from engine_api.commands.runner import run
from engine_api.commands.storage_pools import pool_spec
from engine_api.commands.tx import Tx
from engine_api.commands.vm_runtime import _busy, _claimed, _place, _save, spec
from engine_api.core.context import Context
from engine_api.core.errors import Conflict
from engine_api.protocol.client import AgentError

GiB = 1 << 30
MIGRATION_FIELDS = ("_migration_progress", "_cancel_migration", "_migration_destination")


def _clear(vm: dict) -> None:
    for key in MIGRATION_FIELDS:
        vm.pop(key, None)


def _prepare_migration(tx: Tx, vm_id: str, wanted: dict | None, exclude: set[str] | None) -> tuple[dict, dict]:
    vm = tx.must("vm", vm_id)
    if vm["status"] != "up":
        raise Conflict(f"Cannot migrate VM {vm['name']}: it is {vm['status'].replace('_', ' ')}.")
    for a in tx.find_by("disk_attachment", vm_id=vm_id):
        disk = tx.get("disk", a["disk"]["id"])
        if disk is not None and disk.get("status") == "locked":
            raise Conflict(f"Cannot migrate VM {vm['name']}: its disk {disk['name']} is locked.")
    source = tx.must("host", vm["host"]["id"])
    dest = _place(tx, vm, (exclude or set()) | {source["id"]}, wanted)
    _clear(vm)
    vm.update(status="migrating", _migration_progress=0, _migration_destination={"id": dest["id"]})
    _save(tx, vm)
    tx.event(62, f"Migration of VM {vm['name']} from Host {source['name']} to {dest['name']} started by {tx.who}.",
             vm=vm_id, host=source["id"])
    return source, dest


def _figures(done: dict) -> str:
    parts = []
    if done.get("time_ms") is not None:
        parts.append(f"Duration: {done['time_ms'] / 1000:.2f} s")
    if done.get("downtime_ms") is not None:
        parts.append(f"Actual downtime: {done['downtime_ms']} ms")
    return ", " + ", ".join(parts) if parts else ""


def _migrated(tx: Tx, vm_id: str, dest_id: str, done: dict | None = None) -> None:
    vm = tx.must("vm", vm_id)
    vm.update(status="up", host={"id": dest_id})
    _clear(vm)
    _save(tx, vm)
    tx.event(63, f"Migration of VM {vm['name']} completed (Host: {tx.must('host', dest_id)['name']}"
                 f"{_figures(done or {})}).", vm=vm_id, host=dest_id)


def _stayed(tx: Tx, vm_id: str, source_id: str, error: str | None) -> None:
    """The migration did not happen: the VM runs on, on its source. ``error`` None: it was canceled."""
    vm = tx.must("vm", vm_id)
    vm.update(status="up", host={"id": source_id})
    _clear(vm)
    _save(tx, vm)
    where = tx.must("host", source_id)["name"]
    if error is None:
        tx.event(64, f"Migration of VM {vm['name']} was canceled; it keeps running on Host {where}.", vm=vm_id,
                 host=source_id)
    else:
        tx.event(65, f"Migration of VM {vm['name']} failed: {error}; it keeps running on Host {where}.", "error",
                 vm=vm_id, host=source_id)


def _runs_on(ctx: Context, host: dict, vm_id: str) -> bool | None:
    """Whether the host's agent reports the VM running (None: the agent does not answer)."""
    try:
        report = ctx.engine.broker.stats(host)
    except AgentError:
        return None
    return any(v["id"] == vm_id and v["status"] == "up" for v in report.get("vms", []))


def _max_time(ctx: Context, vm: dict) -> float:
    per_gib = float(ctx.engine.config.get("migration_max_time_per_gib_mem") or 64)
    return max(60.0, per_gib * (vm.get("memory") or GiB) / GiB)


def _migration_job(ctx: Context, vm_id: str, source: dict, dest: dict) -> bool:
    """Returns whether the VM moved; a failure raises (the job fails with the reason)."""
    broker = ctx.engine.broker
    with _busy(ctx, vm_id):
        with ctx.engine.db.read() as conn:
            tx = Tx(conn, ctx)
            vm = tx.must("vm", vm_id)
            pools = [pool_spec(tx.must("storage_domain", d["pool"])) for d in spec(tx, vm)["disks"] if d["pool"]]
            dest = tx.get("host", dest["id"]) or dest  # its latest facts (the migration URI it reported)
        if vm.get("_cancel_migration"):  # canceled while the job waited
            run(ctx, "migrate_vm", _stayed, vm_id, source["id"], None)
            return False
        try:
            for pool in pools:
                broker.connect_storage(dest, pool)
            done = broker.migrate(source, vm_id, dest, int(ctx.engine.config.get("migration_max_bandwidth") or 0),
                                  _max_time(ctx, vm))
        except AgentError as e:
            if e.status == 0:  # no answer: make sure no migration goes on unwatched before settling
                try:
                    broker.vm_op(source, vm_id, "cancelmigration")
                except AgentError:
                    pass
            with ctx.engine.db.read() as conn:
                canceled = bool(Tx(conn, ctx).must("vm", vm_id).get("_cancel_migration"))
            if not _runs_on(ctx, source, vm_id) and _runs_on(ctx, dest, vm_id):  # it moved after all
                run(ctx, "migrate_vm", _migrated, vm_id, dest["id"])
                return True
            run(ctx, "migrate_vm", _stayed, vm_id, source["id"], None if canceled else str(e))
            if canceled:
                return False
            raise Conflict(f"migration of VM {vm['name']} failed: {e}") from None
        try:  # what libvirt measured (the destination keeps the completed job's statistics)
            done = {**done, **broker.vm_op(dest, vm_id, "migrationstats")}
        except AgentError:
            pass
        run(ctx, "migrate_vm", _migrated, vm_id, dest["id"], done)
        return True


def migrate_now(ctx: Context, vm_id: str, wanted: dict | None, exclude: set[str] | None = None) -> None:
    """Migrate and wait (used to evacuate a host going to maintenance)."""
    source, dest = _claimed(ctx, vm_id, lambda: run(ctx, "migrate_vm", _prepare_migration, vm_id, wanted, exclude))
    if not _migration_job(ctx, vm_id, source, dest):
        raise Conflict(f"the migration of VM {vm_id} was canceled")


def migrate(ctx: Context, parent: dict | None, vm: dict, action: dict) -> dict:
    wanted = action.get("host") or None

    def decide_and_submit() -> None:
        source, dest = run(ctx, "migrate_vm", _prepare_migration, vm["id"], wanted, None)
        ctx.engine.jobs.submit(ctx, f"Migrating VM {vm['name']}", _migration_job, ctx, vm["id"], source, dest)

    _claimed(ctx, vm["id"], decide_and_submit)
    return {}


def _cancel_requested(tx: Tx, vm_id: str) -> dict:
    vm = tx.must("vm", vm_id)
    if vm["status"] != "migrating":
        raise Conflict(f"Cannot cancel the migration of VM {vm['name']}: it is not migrating.")
    vm["_cancel_migration"] = True
    tx.update("vm", vm)  # not stamped: the migration job owns the VM's status
    tx.event(64, f"Migration of VM {vm['name']} is being canceled by {tx.who}.", vm=vm_id)
    return tx.must("host", vm["host"]["id"])


def cancelmigration(ctx: Context, parent: dict | None, vm: dict, action: dict) -> dict:
    """Abort a running migration (libvirt's ``abortJob`` on the source): the VM stays up where it was. A
    migration still queued is not started; one libvirt already completed is not undone."""
    source = run(ctx, "cancel_migration", _cancel_requested, vm["id"])
    try:
        ctx.engine.broker.vm_op(source, vm["id"], "cancelmigration")
    except AgentError as e:
        if e.status != 409:  # 409: not under way on the host yet (the job sees the request) or already over
            raise Conflict(f"Cannot cancel the migration of VM {vm['name']}: {e}") from None
    return {}


# ---------------------------------------------------------------- load balancing


def _announce(tx: Tx, vm_id: str, dest_id: str, reason: str) -> None:
    vm = tx.must("vm", vm_id)
    source = tx.must("host", vm["host"]["id"])
    dest = tx.must("host", dest_id)
    tx.event(67, f"Migration initiated by system (VM: {vm['name']}, Source: {source['name']}, Destination: "
                 f"{dest['name']}, Reason: Load balancing: {reason}).", vm=vm_id, host=source["id"])


def balance_migrate(ctx: Context, vm_id: str, candidates: set[str], reason: str) -> str:
    """Migrate a VM a balancer chose to the best of its candidate hosts, through the migration command; returns
    the destination's id. The audit event says why."""
    def choose(tx: Tx) -> str:
        return placement.place(tx, tx.must("vm", vm_id), candidates=candidates)["id"]

    dest = run(ctx, "balance_vm", choose)
    run(ctx, "balance_vm", _announce, vm_id, dest, reason)
    with ctx.engine.db.read() as conn:
        vm = Tx(conn, ctx).must("vm", vm_id)
    migrate(ctx, None, vm, {"host": {"id": dest}})
    return dest
