"""What a stopped engine left in flight, ended in a true state at the next start.

An engine killed in the middle of work leaves disks and templates ``locked``, VMs in ``wait_for_launch``,
``powering_up``, ``migrating`` or ``image_locked``, and no job to finish any of them. At start, before
monitoring runs, each is reconciled against what the host agents report now, with an audit event:

- a locked disk is ``ok`` again (a volume is made when missing: creating one is idempotent on the host), and
  its volume is made again at once when a host serving its domain answers;
- a locked template is ``ok`` again (its disks follow the disk rule);
- a VM in flight takes the status and host an agent reports for it; reported by no answering host it is
  ``down``; while its host does not answer it is ``unknown`` (monitoring settles it when the host answers).

Hosts left installing are taken up again by :func:`engine_api.commands.host_runtime.recover`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from engine_api.commands import volumes
from engine_api.commands.runner import run
from engine_api.commands.system import system_context
from engine_api.commands.tx import Tx, now_iso
from engine_api.protocol.client import AgentError
from engine_api.store.schema import col

if TYPE_CHECKING:
    from engine_api.engine import Engine

VM_IN_FLIGHT = frozenset({"wait_for_launch", "powering_up", "migrating", "image_locked"})
GONE = frozenset({"down"})  # what an agent reports for a VM it no longer runs
RECOVERED = 9710  # event code of every reconciliation


def _reports(engine: Engine, hosts: list[dict]) -> dict[str, dict | None]:
    """Each host's agent report (its VMs), or None when it does not answer."""
    def ask(host: dict) -> dict | None:
        try:
            return engine.broker.stats(host, timeout=5.0)
        except AgentError:
            return None
        except Exception:  # an agent answering nonsense is one that does not answer
            return None

    if not hosts:
        return {}
    with ThreadPoolExecutor(max_workers=min(16, len(hosts)), thread_name_prefix="vdc-recover") as pool:
        return dict(zip([h["id"] for h in hosts], pool.map(ask, hosts), strict=True))


def _reconcile(tx: Tx, reports: dict[str, dict | None]) -> list[str]:
    """Reconcile in one transaction; returns the disks whose volume should be made again now."""
    where: dict[str, tuple[str, str]] = {}  # vm id -> (host id, reported status)
    for host_id, report in reports.items():
        for seen in (report or {}).get("vms", []) or []:
            if isinstance(seen, dict) and seen.get("id") and seen.get("status") not in GONE:
                where[seen["id"]] = (host_id, str(seen["status"]))
    hosts = {h["id"]: h for h in tx.find("host")}

    busy = set(tx.ctx.engine.busy_vms) if tx.ctx is not None else set()  # a live engine's job moves these
    for vm in tx.find("vm"):
        status = vm.get("status")
        if status not in VM_IN_FLIGHT or vm["id"] in busy:
            continue
        ran_on = (vm.get("host") or {}).get("id")
        if vm["id"] in where:
            found_on, reported = where[vm["id"]]
            vm.update(status=reported, host={"id": found_on})
            if reported == "up" and not vm.get("start_time"):
                vm["start_time"] = now_iso()
            message = f"VM {vm['name']} was {status} when the engine stopped; Host {hosts[found_on]['name']} " \
                      f"reports it {reported}."
        elif ran_on and ran_on in reports and reports[ran_on] is None:
            vm["status"] = "unknown"
            message = f"VM {vm['name']} was {status} when the engine stopped; its host does not answer yet."
        else:
            vm.update(status="down", host=None, stop_time=now_iso())
            message = f"VM {vm['name']} was {status} when the engine stopped and no host runs it: it is down."
        tx.update("vm", vm)
        tx.event(RECOVERED, message, "warning", vm=vm["id"], host=(vm.get("host") or {}).get("id"))

    for template in tx.find("template"):
        if template.get("status") == "locked":
            template["status"] = "ok"
            tx.update("template", template)
            tx.event(RECOVERED, f"Template {template['name']} was locked when the engine stopped; it is "
                     "unlocked.", "warning", template=template["id"])

    again: list[str] = []
    answering = {h for h, r in reports.items() if r is not None}
    for disk in tx.find("disk"):
        if disk.get("status") != "locked":
            continue
        disk["status"] = "ok"
        tx.update("disk", disk)
        sd_id = (disk.get("storage_domain") or {}).get("id")
        tx.event(RECOVERED, f"Disk {disk['name']} was locked when the engine stopped; it is unlocked.",
                 "warning", storage_domain=sd_id)
        if sd_id and any(h in answering for h in _serving(tx, sd_id)):
            again.append(disk["id"])
    return again


def _serving(tx: Tx, sd_id: str) -> list[str]:
    """Hosts of the data centers where the domain is attached."""
    hosts: list[str] = []
    for a in tx.find_by("attached_storage_domain", storage_domain_id=sd_id):
        clusters = [c["id"] for c in tx.find_by("cluster", data_center_id=a["data_center"]["id"])]
        if clusters:
            hosts += [h["id"] for h in tx.find("host", col("host", "cluster_id").in_(clusters))]
    return hosts


def reconcile(engine: Engine) -> None:
    """Run at engine start, before monitoring: end what the last engine left in flight."""
    ctx = system_context(engine, "recover")
    with engine.db.read() as conn:
        hosts = [h for h in Tx(conn, ctx).find("host") if h.get("address")]
    reports = _reports(engine, hosts)
    for disk_id in run(ctx, "recover_in_flight", _reconcile, reports):
        volumes.materialize(ctx, disk_id)
