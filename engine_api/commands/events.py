"""The audit log as ``/events``: listing (newest first, ``from``, ``max``, ``search``), one event, and
external events posted by other systems (``POST /events``).

Events are rows of the ``events`` table, not entities of a kind: an event's id on the wire is its index.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, insert, select

from engine_api.commands.runner import run
from engine_api.commands.tx import Tx, now_iso
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict
from engine_api.core.params import integer
from engine_api.model.types import enum_order
from engine_api.store import search
from engine_api.store.listing import listing
from engine_api.store.schema import events

REFS = {"vm": "vm", "host": "host", "cluster": "cluster", "data_center": "data_center",
        "storage_domain": "storage_domain", "template": "template"}
EXTERNAL_CODES = {"normal": 12001, "warning": 12002, "error": 12003, "alert": 12004}
INT32 = (-(1 << 31), (1 << 31) - 1)


def _doc_str(key: str):
    return events.c.doc[key].as_string()


FIELDS: dict[str, tuple[Any, str]] = {
    "severity": (events.c.severity, "str"),
    "type": (events.c.code, "int"),
    "code": (events.c.code, "int"),
    "message": (_doc_str("description"), "str"),
    "description": (_doc_str("description"), "str"),
    "correlation_id": (events.c.correlation_id, "str"),
    "index": (events.c.index, "int"),
    "time": (events.c.time, "date"),
    "origin": (_doc_str("origin"), "str"),
    "custom_id": (events.c.doc["custom_id"].as_integer(), "int"),
}


def _resolve(name: str, ref: str | None) -> search.Resolved:
    spec = FIELDS.get(name) if ref is None else None
    if spec is None:
        raise search.unknown_field(name, ref, FIELDS)
    return search.Resolved(*spec, enum_order("event", name))


def _wire(row: Any) -> dict:
    doc = dict(row.doc)
    doc.update(id=str(row.index), index=row.index, code=row.code, severity=row.severity)
    if row.correlation_id:
        doc["correlation_id"] = row.correlation_id
    return doc


def _int64(params: dict[str, str], name: str, minimum: int | None = None) -> int | None:
    value = integer(params, name, minimum)
    if value is not None and abs(value) >= 1 << 63:
        raise BadRequest(f"parameter '{name}' is out of range, got {value}", "Invalid value")
    return value


def list_events(conn: Connection, params: dict[str, str]) -> list[dict]:
    """Events newest first; ``from`` keeps those after an index, ``max`` limits, ``search`` filters."""
    q = select(events)
    after = _int64(params, "from")
    if after is not None:
        q = q.where(events.c.index > after)
    limit = _int64(params, "max", minimum=-1)
    limit = None if limit is None or limit < 0 else limit
    newest_first = events.c.index.desc()
    ask = listing(params, _resolve, limit, tiebreak=(newest_first,))
    if ask.where is not None:
        q = q.where(ask.where)
    q = q.order_by(*(ask.order or [newest_first]))
    if ask.offset is not None:
        q = q.offset(ask.offset)
    if ask.limit is not None:
        q = q.limit(ask.limit)
    return [_wire(row) for row in conn.execute(q)]


def get_event(conn: Connection, ident: str) -> dict | None:
    if not isinstance(ident, str) or not ident.isascii() or not ident.isdigit() or len(ident) > 18:
        return None  # not an index that can exist (an event index is a 64-bit integer)
    index = int(ident)
    row = conn.execute(select(events).where(events.c.index == index)).first()
    return _wire(row) if row else None


# ---------------------------------------------------------------- external events


def _required(doc: dict, key: str) -> Any:
    value = doc.get(key)
    if value is None or value == "":
        raise BadRequest(f"event.{key} is required", "Incomplete parameters")
    return value


def create(tx: Tx, doc: dict) -> dict:
    description = _required(doc, "description")
    severity = _required(doc, "severity")
    origin = _required(doc, "origin")
    custom_id = _required(doc, "custom_id")
    if not INT32[0] <= custom_id <= INT32[1]:
        raise BadRequest(f"event.custom_id must be a 32-bit integer, got {custom_id}")
    clash = tx.conn.execute(select(events.c.index).where(
        (events.c.doc["origin"].as_string() == origin) & (events.c.doc["custom_id"].as_integer() == custom_id)
    )).first()
    if clash:
        raise Conflict(f"An event from {origin} with custom id {custom_id} already exists "
                       f"(index {clash[0]}).")
    flood_rate = doc.get("flood_rate", 30)
    if flood_rate is not None and not 0 <= flood_rate <= INT32[1]:
        raise BadRequest(f"event.flood_rate must be between 0 and {INT32[1]}, got {flood_rate}")
    code = EXTERNAL_CODES[severity]
    body: dict[str, Any] = {
        "description": description, "code": code, "severity": severity, "time": now_iso(), "origin": origin,
        "custom_id": custom_id, "flood_rate": flood_rate, "log_on_host": bool(doc.get("log_on_host", False)),
    }
    if doc.get("custom_data"):
        body["custom_data"] = doc["custom_data"]
    if doc.get("comment"):
        body["comment"] = doc["comment"]
    if tx.ctx is not None:
        body["correlation_id"] = tx.ctx.correlation_id
        body["user"] = {"id": tx.ctx.user.id}
    for member, kind in REFS.items():
        target = tx.ref(kind, doc.get(member), f"event.{member}", required=False)
        if target is not None:
            body[member] = {"id": target["id"]}
    result = tx.conn.execute(insert(events).values(time=time.time(), severity=severity, code=code,
                                                   correlation_id=body.get("correlation_id"), doc=body))
    tx.events += 1  # this row is the command's own record
    index = result.inserted_primary_key[0] if result.inserted_primary_key else None
    return dict(body, id=str(index), index=index)


def add(ctx: Context, parent: dict | None, doc: dict) -> dict:
    return run(ctx, "add_external_event", create, doc)
