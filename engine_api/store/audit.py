"""The audit log's rows: one event per change, refusal, login or job outcome, written in the caller's
transaction so that an event never outlives (or misses) the change it describes."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert

from engine_api.store.schema import events

if TYPE_CHECKING:
    from engine_api.core.context import Context


_INSERT = insert(events)  # built once: its cache key is computed once


def now_iso() -> str:
    """The current time as the API writes dates (local time with its offset, milliseconds)."""
    return datetime.now(UTC).astimezone().isoformat(timespec="milliseconds")


def record_event(conn: Connection, ctx: Context | None, code: int, description: str,
                 severity: str = "normal", **refs: Any) -> None:
    doc: dict[str, Any] = {
        "description": description, "code": code, "severity": severity, "time": now_iso(),
        "origin": "oVirt", "custom_id": -1, "flood_rate": 30, "log_on_host": False,
    }
    if ctx is not None:
        doc["correlation_id"] = ctx.correlation_id
        if not ctx.user.system:  # the engine's own work names no user
            doc["user"] = {"id": ctx.user.id}
    for member, ident in refs.items():
        if ident:
            doc[member] = {"id": ident}
    conn.execute(_INSERT, {"time": time.time(), "severity": severity, "code": code,
                           "correlation_id": doc.get("correlation_id"), "doc": doc})
