"""Generic reads and writes of entity documents, for every kind alike."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, func, insert, select, update

from engine_api.store.schema import KINDS, Kind


def _row_doc(k: Kind, row: Any) -> dict:
    doc: dict[str, Any] = {"id": row.id}
    if row.name is not None:
        doc["name"] = row.name
    doc.update(row.doc)
    for member in k.refs:
        ref = getattr(row, f"{member}_id")
        if ref is not None:
            doc[member] = {"id": ref}
    return doc


def _columns(k: Kind, doc: dict) -> dict:
    body = {key: v for key, v in doc.items() if key not in ("id", "name", "href") and key not in k.refs}
    cols: dict[str, Any] = {"name": doc.get("name"), "doc": body}
    for member in k.refs:
        ref = doc.get(member)
        cols[f"{member}_id"] = ref.get("id") if isinstance(ref, dict) else None
    return cols


def get(conn: Connection, kind: str, ident: str) -> dict | None:
    k = KINDS[kind]
    row = conn.execute(select(k.table).where(k.table.c.id == ident)).first()
    return _row_doc(k, row) if row else None


def find(
    conn: Connection,
    kind: str,
    where: ColumnElement[bool] | None = None,
    order_by: Any = None,
    limit: int | None = None,
    offset: int | None = None,
) -> list[dict]:
    k = KINDS[kind]
    t = k.table
    q = select(t)
    if where is not None:
        q = q.where(where)
    q = q.order_by(*(order_by if isinstance(order_by, (list, tuple)) else [order_by])) if order_by is not None \
        else q.order_by(t.c.created, t.c.id)
    if limit is not None:
        q = q.limit(limit)
    if offset:
        q = q.offset(offset)
    return [_row_doc(k, row) for row in conn.execute(q)]


def count(conn: Connection, kind: str, where: ColumnElement[bool] | None = None) -> int:
    t = KINDS[kind].table
    q = select(func.count()).select_from(t)
    if where is not None:
        q = q.where(where)
    return conn.execute(q).scalar_one()


def insert_doc(conn: Connection, kind: str, doc: dict) -> dict:
    k = KINDS[kind]
    conn.execute(insert(k.table).values(id=doc["id"], created=time.time(), **_columns(k, doc)))
    return doc


def update_doc(conn: Connection, kind: str, doc: dict) -> dict:
    k = KINDS[kind]
    conn.execute(update(k.table).where(k.table.c.id == doc["id"]).values(**_columns(k, doc)))
    return doc


def delete_doc(conn: Connection, kind: str, ident: str) -> None:
    k = KINDS[kind]
    conn.execute(delete(k.table).where(k.table.c.id == ident))
