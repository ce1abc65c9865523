"""The one way state changes: permission check, one transaction, an audit event for every change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError

from engine_api.commands import authz
from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.core.errors import Conflict, Fault
from engine_api.store.audit import record_event

T = TypeVar("T")


def authorize(ctx: Context, action: str, *args: Any) -> None:
    """Raise the 403 fault unless the user may run ``action`` on ``args`` (see :mod:`.authz`)."""
    with ctx.engine.db.read() as conn:
        authz.check(ctx, Tx(conn, ctx), action, args)


def run(ctx: Context, action: str, body: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``body(tx, ...)`` as the command ``action``; a refusal is recorded as an error event."""
    db = ctx.engine.db
    try:
        with db.write() as conn:
            tx = Tx(conn, ctx)
            authz.check(ctx, tx, action, args)  # before anything is read for the change or written
            result = body(tx, *args, **kwargs)
            if tx.writes and not tx.events:
                tx.event(0, f"{action.replace('_', ' ').capitalize()} by {ctx.user.name}.")
            return result
    except IntegrityError as e:
        failure: Fault = Conflict(f"Cannot {action.replace('_', ' ')}: it is still referenced ({_constraint(e)})")
    except Fault as e:
        failure = e
    if failure.status >= 409 or failure.status == 403:
        with db.write() as conn:
            record_event(conn, ctx, 1, f"Failed to {action.replace('_', ' ')}: {failure.detail}", "error")
    raise failure


def _constraint(e: IntegrityError) -> str:
    text = str(e.orig).splitlines()[0] if e.orig else str(e)
    return text[:200]
