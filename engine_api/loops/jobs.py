"""Long work (host install, VM start, migration) runs here, after its command committed; each is a job.

A job is a row of the ``job`` kind: ``started`` while it runs, then ``finished`` or ``failed``; a failure
also leaves an error event naming what failed and why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.store.audit import now_iso, record_event

log = logging.getLogger(__name__)


class JobRunner:
    def __init__(self, workers: int = 8):
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vdc-job")
        self.closed = False

    def submit(self, ctx: Context, description: str, fn: Callable[..., Any], *args: Any) -> str:
        db = ctx.engine.db
        with db.write() as conn:
            job = Tx(conn, ctx).insert("job", {
                "description": description, "status": "started", "start_time": now_iso(),
                "last_updated": now_iso(), "auto_cleared": True, "external": False,
                "owner": {"id": ctx.user.id}, "_correlation_id": ctx.correlation_id,
                "_engine": ctx.engine.node.name})  # whose threads run it: another engine's live job is not lost
        self.pool.submit(self._run, ctx, job["id"], description, fn, args)
        return job["id"]

    def _run(self, ctx: Context, job_id: str, description: str, fn: Callable[..., Any], args: tuple) -> None:
        started = time.time()
        status = "finished"
        try:
            fn(*args)
        except Exception as e:  # a job must always end; the reason goes to the event log
            status = "failed"
            log.warning("job %s failed: %s", description, e, exc_info=not hasattr(e, "detail"))
            detail = getattr(e, "detail", None) or str(e)
            with ctx.engine.db.write() as conn:
                record_event(conn, ctx, 1, f"{description} failed: {detail}", "error")
        if self.closed:
            return
        with ctx.engine.db.write() as conn:
            tx = Tx(conn, ctx)
            job = tx.get("job", job_id)
            if job is not None:
                job.update(status=status, end_time=now_iso(), last_updated=now_iso())
                tx.update("job", job)
        log.debug("job %s %s in %.2fs", description, status, time.time() - started)

    def close(self) -> None:
        self.closed = True
        self.pool.shutdown(wait=False, cancel_futures=True)
