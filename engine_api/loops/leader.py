"""Which engine runs the background loops (monitoring with HA restart and power deadlines, load balancing).

Every engine on one PostgreSQL database serves the API; exactly one runs the loops: the one holding a session
advisory lock on its node connection (see :mod:`engine_api.store.shared`). The others try for the lock every
``leader_poll_interval`` seconds. A holder killed outright loses its session, and with it the lock, as soon
as the server sees its socket close, so another engine takes over within about one poll interval. A holder
whose own connection breaks (the database restarted, the network went) stops its loops at its next check,
since the lock may already be someone else's. On SQLite there is one engine, and it always leads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import text

from engine_api.store.shared import Node, lock_key

log = logging.getLogger(__name__)
LEADER_KEY = lock_key("vdc-engine:loops")


class Leadership:
    def __init__(self, node: Node, on_gain: Callable[[], None], on_loss: Callable[[], None],
                 interval: float = 1.0):
        self.node, self.on_gain, self.on_loss, self.interval = node, on_gain, on_loss, interval
        self.leader = False
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="vdc-leader", daemon=True)

    def start(self) -> None:
        if not self.node.shared:
            self._gain()
            return
        self._step()  # an engine that can lead at once does so before it serves
        self.thread.start()

    def _gain(self) -> None:
        self.leader = True
        log.warning("this engine (%s) now runs the background loops", self.node.name)
        self.on_gain()

    def _step(self) -> None:
        try:
            if self.leader:
                self.node.run(text("SELECT 1"))  # the session, and so the lock, still ours
            elif self.node.run(text("SELECT pg_try_advisory_lock(:k)"), k=LEADER_KEY):
                self._gain()
        except Exception as e:  # the node connection broke: whatever we held is released
            if self.leader:
                log.warning("lost the database session that made this engine the leader: %s", e)
                self.leader = False
                self.on_loss()

    def _loop(self) -> None:
        while not self.stop_event.wait(self.interval):
            self._step()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(timeout=10)
