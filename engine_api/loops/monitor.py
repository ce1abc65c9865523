"""Host monitoring: every ``monitor_interval`` seconds, poll every monitored host's agent in parallel, decide
what its answer (or its silence) means for the host's status, then let the HA loop (``loops.ha``) treat the
VMs of hosts that stopped answering.

The host status state machine (oVirt's ``VdsManager``)::

    up ──(vds_attempts_to_reset_count unanswered polls)──▶ connecting ──(non_responsive_timeout since the
    first of them)──▶ non_responsive (its VMs unknown)        any answer ──▶ up

A single slow or missed report changes nothing. The decisions are made here; the commands in
``commands.host_runtime`` commit them, as an HTTP request's command would.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from engine_api.commands import hook_deploy, host_runtime
from engine_api.commands.runner import run
from engine_api.commands.system import system_context
from engine_api.loops import ha, power
from engine_api.protocol.client import AgentError
from engine_api.scheduler.model import cpu_streak

if TYPE_CHECKING:
    from engine_api.engine import Engine

log = logging.getLogger(__name__)


def after_missed_poll(host: dict, now: float, timeout: float, attempts: int) -> str | None:
    """What an unanswered poll makes of the host: ``count`` (still up), ``connecting``, ``non_responsive``,
    or None (nothing changes)."""
    status = host["status"]
    if status in host_runtime.UP_LIKE:
        return "connecting" if int(host.get("_failed_polls") or 0) + 1 >= attempts else "count"
    since = host.get("_unreachable_since") or now
    if status == "connecting" and now - since >= timeout:
        return "non_responsive"
    return None


def poll(engine: Engine, host: dict, timeout: float) -> None:
    """Ask one host's agent for its report and apply what it says, or what its silence means."""
    ctx = system_context(engine, "monitor")
    asked = time.time()
    try:
        stats = engine.broker.stats(host, timeout=engine.config["agent_stats_timeout"])
    except AgentError as e:
        now = time.time()
        step = after_missed_poll(host, now, timeout, int(engine.config["vds_attempts_to_reset_count"]))
        if step == "count":
            run(ctx, "monitor_host", host_runtime.count_missed_poll, host["id"], now)
        elif step == "connecting":
            run(ctx, "monitor_host", host_runtime.set_connecting, host["id"], str(e), now)
        elif step == "non_responsive":
            run(ctx, "monitor_host", host_runtime.set_non_responsive, host["id"])
        return
    if host["status"] in ("connecting", "non_responsive") or "_failed_polls" in host:
        run(ctx, "monitor_host", host_runtime.set_responding, host["id"])
    previous = engine.host_stats.get(host["id"])
    hook_deploy.note_report(engine, host, stats, previous, asked)
    cpu_streak(previous, stats, asked)
    engine.host_stats[host["id"]] = stats
    stale = run(ctx, "monitor_host", host_runtime.apply_report, host["id"], stats, set(engine.busy_vms), asked,
                dict(engine.host_stats))
    for vm_id in stale:  # a copy of a VM that runs elsewhere: the host's agent destroys it
        host_runtime.destroy_stale(ctx, host, vm_id)


class Monitor:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.stop_event = threading.Event()
        self.pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="vdc-monitor")
        self.thread = threading.Thread(target=self._loop, name="vdc-monitor", daemon=True)
        self.ha = ha.HighAvailability(engine)

    def start(self) -> None:
        host_runtime.recover(self.engine)  # what the last engine left half done, before the first round
        self.thread.start()

    def run_once(self) -> None:
        hosts = host_runtime.monitored_hosts(self.engine)
        timeout = self.engine.config["non_responsive_timeout"]
        futures = [self.pool.submit(poll, self.engine, h, timeout) for h in hosts]
        for f in futures:
            try:
                f.result()
            except Exception:  # one host's trouble must not stop the others' monitoring
                log.exception("monitoring a host failed")
        try:
            self.ha.run_once()  # the VMs of hosts that stopped answering
        except Exception:
            log.exception("treating non responsive hosts failed")
        power.check(self.engine)  # after the reports: a guest that did power down is not forced

    def _loop(self) -> None:
        interval = self.engine.config["monitor_interval"]
        while not self.stop_event.wait(interval):
            try:
                self.run_once()
            except Exception:
                log.exception("monitoring round failed")

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=10) if self.thread.is_alive() else None
        self.pool.shutdown(wait=False, cancel_futures=True)
