"""Host monitoring: every ``monitor_interval`` seconds, poll every monitored host's agent in parallel."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from engine_api.commands import host_runtime
from engine_api.loops import power

if TYPE_CHECKING:
    from engine_api.engine import Engine

log = logging.getLogger(__name__)


class Monitor:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.stop_event = threading.Event()
        self.pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="vdc-monitor")
        self.thread = threading.Thread(target=self._loop, name="vdc-monitor", daemon=True)

    def start(self) -> None:
        host_runtime.recover(self.engine)  # what the last engine left half done, before the first round
        self.thread.start()

    def run_once(self) -> None:
        hosts = host_runtime.monitored_hosts(self.engine)
        timeout = self.engine.config["non_responsive_timeout"]
        futures = [self.pool.submit(host_runtime.poll, self.engine, h, timeout) for h in hosts]
        for f in futures:
            try:
                f.result()
            except Exception:  # one host's trouble must not stop the others' monitoring
                log.exception("monitoring a host failed")
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
