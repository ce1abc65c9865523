"""Deploying managed VDSM hooks to hosts, and what hosts report back: drift and hook failures.

- :func:`sync_host` sends a host's agent every managed hook that targets it (its clusters' and its own) with
  the hook settings; the agent writes what differs and removes managed scripts no longer wanted. It runs
  when a hook is added, changed, removed or deployed again, and when a host comes up (joins or is activated)
  before it is ``up``.
- :func:`note_report` reads a host's statistics report: its scripts as they are on disk now (a managed one
  changed or deleted there is drift: an audit event, and the hook's per-host status shows it) and the agent's
  journal of hook failures (each one an audit event with the script, its exit code and stderr).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from engine_api.commands import engine_config, vdsm_hooks
from engine_api.commands.runner import run
from engine_api.commands.system import system_context
from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.protocol.client import AgentError

if TYPE_CHECKING:
    from engine_api.engine import Engine


def _wanted(tx: Tx, host: dict) -> tuple[list[dict], dict]:
    hooks = [{"event": h["event"], "name": h["name"], "sha256": h["sha256"], "content_b64": h["content_b64"]}
             for h in vdsm_hooks.hooks_for_host(tx, host)]
    timeout = float(engine_config.get(tx.conn, "HookScriptTimeoutInSeconds"))
    return hooks, {"timeout": timeout}


def deployed(host: dict, hook: dict) -> bool:
    """Whether the engine installed this very hook (same content) on the host: then its absence is drift."""
    return (host.get("_hooks_deployed") or {}).get(f"{hook['event']}/{hook['name']}") == hook["sha256"]


def _synced(tx: Tx, host_id: str, result: dict, before: dict[tuple[str, str], str],
            wanted: list[dict]) -> None:
    host = tx.must("host", host_id)
    host["_hooks"] = result.get("hooks") or []
    host["_hooks_synced"] = time.time()  # a report asked for before this is older than what it says
    host["_hooks_deployed"] = {f"{h['event']}/{h['name']}": h["sha256"] for h in wanted}
    tx.update("host", host)
    if result.get("written") or result.get("removed"):
        parts = []
        if result.get("written"):
            parts.append("installed " + ", ".join(result["written"]))
        if result.get("removed"):
            parts.append("removed " + ", ".join(result["removed"]))
        tx.event(vdsm_hooks.CODE_DEPLOYED, f"VDSM hooks on Host {host['name']}: {'; '.join(parts)}.",
                 host=host_id)
    for (event, name), state in before.items():
        if state in ("changed", "missing") and f"{event}/{name}" in (result.get("written") or []):
            tx.event(vdsm_hooks.CODE_REPAIRED, f"VDSM hook {event}/{name} was {state} on Host {host['name']}; "
                                               "deployed again.", host=host_id)


def sync_host(ctx: Context, host_id: str) -> str | None:
    """Bring the host's managed hooks in line; returns why it could not (the agent's error), or None."""
    engine = ctx.engine
    with engine.db.read() as conn:
        tx = Tx(conn, ctx)
        host = tx.must("host", host_id)
        wanted, settings = _wanted(tx, host)
        before = {(h["event"], h["name"]): vdsm_hooks.state_on(h, {**host, "status": "up"})
                  for h in vdsm_hooks.hooks_for_host(tx, host) if deployed(host, h)}
    try:
        result = engine.broker.sync_hooks(host, wanted, settings)
    except AgentError as e:
        return str(e)
    run(ctx, "deploy_vdsm_hooks", _synced, host_id, result, before, wanted)
    return None


def deploy(ctx: Context, host_ids: list[str]) -> dict[str, str]:
    """Sync every listed host whose agent takes a sync now; returns {host name: error} of those that failed
    (a host down or unreachable gets its hooks when it comes up)."""
    failed = {}
    with ctx.engine.db.read() as conn:
        tx = Tx(conn, ctx)
        hosts = [h for h in (tx.get("host", i) for i in host_ids) if h]
    for host in hosts:
        if host.get("status") not in vdsm_hooks.ACTIVE:
            continue
        if (why := sync_host(ctx, host["id"])) is not None:
            failed[host["name"]] = why
    return failed


# ---------------------------------------------------------------- what hosts report


def _drift(tx: Tx, host_id: str, reported: list[dict], asked: float) -> None:
    host = tx.must("host", host_id)
    if float(host.get("_hooks_synced") or 0) >= asked:
        return
    managed = [h for h in vdsm_hooks.hooks_for_host(tx, host) if deployed(host, h)]
    before = {(h["event"], h["name"]): vdsm_hooks.state_on(h, {**host, "status": "up"}) for h in managed}
    host["_hooks"] = reported
    tx.update("host", host)
    for h in managed:
        now = vdsm_hooks.state_on(h, {**host, "status": "up"})
        if now != before[(h["event"], h["name"])] and now in ("changed", "missing"):
            what = "changed" if now == "changed" else "deleted"
            tx.event(vdsm_hooks.CODE_DRIFT, f"VDSM hook {h['event']}/{h['name']} was {what} on Host "
                                            f"{host['name']} outside the engine; deploy it again to repair it.",
                     "warning", host=host_id)


def _failures(tx: Tx, host_id: str, journal: dict) -> None:
    host = tx.must("host", host_id)
    seen = host.get("_hook_journal") or {}
    last = int(seen.get("last") or 0) if seen.get("boot") == journal.get("boot") else 0
    for f in journal.get("failures") or []:
        if int(f.get("seq") or 0) <= last:
            continue
        vm = tx.get("vm", f["vm_id"]) if f.get("vm_id") else None
        on = f" for VM {vm['name']}" if vm else ""
        if f.get("timed_out"):
            outcome = f"was killed after its timeout of {f['timed_out']:g} s"
        else:
            outcome = f"exited with code {f.get('rc')}"
        stderr = (f.get("stderr") or "").strip()
        tx.event(vdsm_hooks.CODE_FAILED,
                 f"VDSM hook {f.get('point')}/{f.get('script')} on Host {host['name']}{on} {outcome}"
                 + (f": {stderr[:1500]}" if stderr else "."), "warning" if f.get("warning") else "error",
                 host=host_id, vm=vm["id"] if vm else None)
    host["_hook_journal"] = {"boot": journal.get("boot"), "last": journal.get("last", 0)}
    tx.update("host", host)


def note_report(engine: Engine, host: dict, stats: dict, previous: dict | None, asked: float) -> None:
    """Apply the hook parts of a host's statistics report (asked for at ``asked``) that are news."""
    ctx = None
    reported = stats.get("hooks")
    if reported is not None and reported != host.get("_hooks"):
        ctx = system_context(engine, "monitor")
        run(ctx, "monitor_host", _drift, host["id"], reported, asked)
    journal = stats.get("hook_journal") or {}
    prev = (previous or {}).get("hook_journal") or {}
    if journal.get("last") and (journal.get("boot"), journal.get("last")) != (prev.get("boot"), prev.get("last")):
        seen = host.get("_hook_journal") or {}
        if (seen.get("boot"), seen.get("last")) != (journal.get("boot"), journal.get("last")):
            run(ctx or system_context(engine, "monitor"), "monitor_host", _failures, host["id"], journal)

