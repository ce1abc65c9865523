"""Long work (host install, VM start, migration) runs here, after its command committed; each is a job.

A job is a row of the ``job`` kind (written by :mod:`engine_api.commands.jobs`): ``started`` while it runs,
then ``finished`` or ``failed``; a failure also leaves an error event naming what failed and why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from engine_api.commands import jobs
from engine_api.core.context import Context

log = logging.getLogger(__name__)


class JobRunner:
    def __init__(self, workers: int = 8):
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vdc-job")
        self.closed = False
        self.running: set[Future[None]] = set()

    def submit(self, ctx: Context, description: str, fn: Callable[..., Any], *args: Any,
               storage_task: bool = False) -> str:
        """Run ``fn(*args)`` as a job. A ``storage_task`` (image work: a volume made, copied or snapshotted, what
        oVirt calls an async task) is also what an add asked with ``Expect: 201-created`` waits for."""
        return self.start(ctx, jobs.begin(ctx, description), description, fn, *args, storage_task=storage_task)

    def start(self, ctx: Context, job_id: str, description: str, fn: Callable[..., Any], *args: Any,
              storage_task: bool = False) -> str:
        """Run a job a command began in its own transaction (:func:`engine_api.commands.jobs.begin_in`)."""
        future = self.pool.submit(self._run, ctx, job_id, description, fn, args)
        self.running.add(future)
        future.add_done_callback(self.running.discard)
        if storage_task:
            ctx.storage_tasks.append(future)
        return job_id

    def _run(self, ctx: Context, job_id: str, description: str, fn: Callable[..., Any], args: tuple) -> None:
        started = time.time()
        status = "finished"
        try:
            fn(*args)
        except Exception as e:  # a job must always end; the reason goes to the event log
            status = "failed"
            log.warning("job %s failed: %s", description, e, exc_info=not hasattr(e, "detail"))
            jobs.failed(ctx, description, getattr(e, "detail", None) or str(e))
        if self.closed:
            return
        jobs.end(ctx, job_id, status)
        log.debug("job %s %s in %.2fs", description, status, time.time() - started)

    def close(self, grace: float = 10.0) -> None:
        """Cancel the queued jobs and give the running ones ``grace`` seconds to finish their writes, so that an
        engine started next on the same database does not find them holding it."""
        self.closed = True
        self.pool.shutdown(wait=False, cancel_futures=True)
        wait(list(self.running), timeout=grace)
