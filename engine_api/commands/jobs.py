"""Job rows: long work a command accepted, seen in ``/jobs`` as ``started`` and then ``finished`` or ``failed``.

The job runner (:mod:`engine_api.loops.jobs`) decides when work starts and ends; these are the writes it makes,
each in a transaction of its own, as any command's."""

from __future__ import annotations

from engine_api.commands.tx import Tx, now_iso
from engine_api.core.context import Context


def begin(ctx: Context, description: str) -> str:
    """A new ``started`` job owned by the caller and run by this engine's threads; returns its id."""
    with ctx.engine.db.write() as conn:
        return begin_in(Tx(conn, ctx), description)


def begin_in(tx: Tx, description: str) -> str:
    """:func:`begin` within the transaction of the command that decided on the work."""
    ctx = tx.ctx
    assert ctx is not None, "a job is begun by a command"
    job = tx.insert("job", {
        "description": description, "status": "started", "start_time": now_iso(),
        "last_updated": now_iso(), "auto_cleared": True, "external": False,
        "owner": {"id": ctx.user.id}, "_correlation_id": ctx.correlation_id,
        "_engine": ctx.engine.node.name})  # whose threads run it: another engine's live job is not lost
    return job["id"]


def failed(ctx: Context, description: str, detail: str) -> None:
    """The error event of a job whose work raised: what failed and why."""
    with ctx.engine.db.write() as conn:
        Tx(conn, ctx).event(1, f"{description} failed: {detail}", "error")


def end(ctx: Context, job_id: str, status: str) -> None:
    """Mark a job ``finished`` or ``failed`` (a job removed meanwhile stays removed)."""
    with ctx.engine.db.write() as conn:
        tx = Tx(conn, ctx)
        job = tx.get("job", job_id)
        if job is not None:
            job.update(status=status, end_time=now_iso(), last_updated=now_iso())
            tx.update("job", job)
