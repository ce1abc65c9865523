"""Generic reads and writes of entity documents, for every kind alike."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Text, and_, bindparam, cast, delete, func, insert, select, update

from engine_api.store.schema import KINDS, Kind


def _row_doc(k: Kind, row: Any) -> dict:
    """The document of a row read as (id, name, doc, then the references' ids) (:func:`_doc_select`); the
    driver gives the document as JSON text (SQLite) or decoded (PostgreSQL)."""
    doc: dict[str, Any] = {"id": row[0]}
    if row[1] is not None:
        doc["name"] = row[1]
    doc.update(json.loads(row[2]) if isinstance(row[2], (str, bytes)) else row[2])
    for member, ref in zip(k.refs, row[3:], strict=True):
        if ref is not None:
            doc[member] = {"id": ref}
    return doc


@dataclass(frozen=True)
class RawRow:
    """A row whose document is still JSON text: cheap to fetch, and a stable key for caching its encoding."""

    kind: str
    id: str
    name: str | None
    refs: tuple[tuple[str, str | None], ...]
    text: str

    def doc(self) -> dict:
        doc: dict[str, Any] = {"id": self.id}
        if self.name is not None:
            doc["name"] = self.name
        doc.update(json.loads(self.text))
        for member, ref in self.refs:
            if ref is not None:
                doc[member] = {"id": ref}
        return doc


def _columns(k: Kind, doc: dict) -> dict:
    body = {key: v for key, v in doc.items() if key not in ("id", "name", "href") and key not in k.refs}
    cols: dict[str, Any] = {"name": doc.get("name"), "doc": body}
    for member in k.refs:
        ref = doc.get(member)
        cols[f"{member}_id"] = ref.get("id") if isinstance(ref, dict) else None
    for column, path in k.keys.items():
        cols[column] = _member_at(body, path)
    return cols


def _member_at(doc: dict, path: tuple[str, ...]) -> Any:
    """The member at ``path`` (None when a step is missing)."""
    value: Any = doc
    for step in path:
        value = value.get(step) if isinstance(value, dict) else None
    return value


# Statements built once per kind and shape: building one and computing its cache key cost more than running it.
_BY_ID: dict[tuple[str, bool], Any] = {}
_BY_NAME: dict[tuple[str, tuple[str, ...]], Any] = {}
_BY_COLUMNS: dict[tuple[str, tuple[str, ...]], Any] = {}
_RAW_IN: dict[tuple[str, str], Any] = {}
_NAMED: dict[tuple[str, str, int | None], Any] = {}
IN_CHUNK = 500  # values of one IN list
_INSERT: dict[str, Any] = {}
_UPDATE: dict[str, Any] = {}


def _raw_select(k: Kind):
    t = k.table
    return select(t.c.id, t.c.name, cast(t.c.doc, Text).label("text"), *(t.c[f"{m}_id"] for m in k.refs))


def _doc_select(k: Kind):
    """The columns :func:`_row_doc` reads."""
    t = k.table
    return select(t.c.id, t.c.name, t.c.doc, *(t.c[f"{m}_id"] for m in k.refs))


@dataclass(frozen=True)
class _DriverSql:
    text: str
    names: tuple[str, ...] | None  # the parameters in order, for a driver taking them by position
    defaults: dict[str, Any]  # every parameter the statement has, with the values it was built with
    processors: dict[str, Callable[[Any], Any]]  # the parameters whose type converts a value (a JSON path...)


_DRIVER_SQL: dict[tuple[int, str], _DriverSql] = {}


def _driver_rows(conn: Connection, stmt: Any, params: dict[str, Any]) -> list[Any]:
    """The rows of ``stmt``, one of the statements kept above (so its id stays its own), run by the driver on
    the connection's transaction. The statement is compiled once per dialect; SQLAlchemy's execution, about
    twice the cost of the small reads commands make most (by id, by name, by reference), is skipped. The rows
    are the driver's: JSON columns as text on SQLite."""
    key = (id(stmt), conn.dialect.name)
    sql = _DRIVER_SQL.get(key)
    if sql is None:
        compiled = stmt.compile(dialect=conn.dialect)
        names = tuple(compiled.positiontup or ()) if conn.dialect.positional else None
        processors = {name: p for bind, name in compiled.bind_names.items()
                      if (p := bind.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)) is not None}
        sql = _DRIVER_SQL[key] = _DriverSql(compiled.string, names, dict(compiled.params), processors)
    values = {**sql.defaults, **params}
    for name, process in sql.processors.items():
        values[name] = process(values[name])
    args: Any = tuple(values[n] for n in sql.names) if sql.names is not None else \
        {n: values[n] for n in sql.defaults}
    if not conn.in_transaction():
        conn.begin()  # as SQLAlchemy's own first statement would (SQLite: our BEGIN, see db._sqlite_begin)
    driver: Any = conn.connection.driver_connection
    return driver.execute(sql.text, args).fetchall()


def _raw_row(kind: str, k: Kind, row: Any) -> RawRow:
    return RawRow(kind, row[0], row[1], tuple(zip(k.refs, row[3:], strict=True)), row[2])


def _by_id(conn: Connection, k: Kind, raw: bool, ident: str) -> Any:
    """The row of ``k`` with id ``ident`` (id, name, doc, then the references' ids), or None; ``raw`` reads the
    document as JSON text. By-id reads are the ones commands make most often."""
    stmt = _BY_ID.get((k.table_name, raw))
    if stmt is None:
        stmt = _BY_ID[k.table_name, raw] = (_raw_select(k) if raw else _doc_select(k)).where(
            k.table.c.id == bindparam("ident"))
    rows = _driver_rows(conn, stmt, {"ident": ident})
    return rows[0] if rows else None


def get(conn: Connection, kind: str, ident: str) -> dict | None:
    k = KINDS[kind]
    row = _by_id(conn, k, False, ident)
    return None if row is None else _row_doc(k, row)


def get_raw(conn: Connection, kind: str, ident: str) -> RawRow | None:
    k = KINDS[kind]
    row = _by_id(conn, k, True, ident)
    return _raw_row(kind, k, row) if row else None


def by_name(conn: Connection, kind: str, name: str, scope: dict[str, str]) -> list[dict]:
    """The entities of ``kind`` named ``name`` (case-insensitively), within ``scope`` (reference member -> id)."""
    k = KINDS[kind]
    shape = (kind, tuple(sorted(scope)))
    stmt = _BY_NAME.get(shape)
    if stmt is None:
        t = k.table
        where = func.lower(t.c.name) == bindparam("name")
        for member in shape[1]:
            where = where & (t.c[f"{member}_id"] == bindparam(f"ref_{member}"))
        stmt = _BY_NAME[shape] = _doc_select(k).where(where).order_by(t.c.created, t.c.id)
    params = {"name": name.lower(), **{f"ref_{member}": ident for member, ident in scope.items()}}
    return [_row_doc(k, row) for row in _driver_rows(conn, stmt, params)]


def _shaped(q: Any, t: Any, where: Any, order_by: Any, limit: int | None, offset: int | None) -> Any:
    if where is not None:
        q = q.where(where)
    if order_by is not None:
        q = q.order_by(*(order_by if isinstance(order_by, (list, tuple)) else [order_by]))
    else:
        q = q.order_by(t.c.created, t.c.id)
    if limit is not None:
        q = q.limit(limit)
    return q.offset(offset) if offset else q


def find(
    conn: Connection,
    kind: str,
    where: ColumnElement[bool] | None = None,
    order_by: Any = None,
    limit: int | None = None,
    offset: int | None = None,
) -> list[dict]:
    k = KINDS[kind]
    q = _shaped(_doc_select(k), k.table, where, order_by, limit, offset)
    return [_row_doc(k, row) for row in conn.execute(q)]


def find_by(conn: Connection, kind: str, **columns: Any) -> list[dict]:
    """The entities whose ``columns`` (``vm_id=...``) equal the values given, oldest first: like :func:`find` with
    equalities, through a statement built once per kind and set of columns (building and keying a statement costs
    more than running it)."""
    k = KINDS[kind]
    if any(v is None for v in columns.values()):  # "= NULL" matches nothing: IS NULL is another statement
        return find(conn, kind, and_(*(k.table.c[name] == v for name, v in columns.items())))
    shape = (kind, tuple(sorted(columns)))
    stmt = _BY_COLUMNS.get(shape)
    if stmt is None:
        t = k.table
        where = and_(*(t.c[name] == bindparam(f"v_{name}") for name in shape[1]))
        stmt = _BY_COLUMNS[shape] = _doc_select(k).where(where).order_by(t.c.created, t.c.id)
    return [_row_doc(k, row) for row in _driver_rows(conn, stmt, {f"v_{name}": v for name, v in columns.items()})]


def find_named(conn: Connection, kind: str, name: str, where: Callable[[], ColumnElement[bool]],
               params: dict[str, Any], limit: int | None = None) -> list[dict]:
    """Like :func:`find` for a condition that is not equalities, through a statement built once under ``name``:
    ``where()`` builds the condition with a bind parameter for each key of ``params``."""
    shape = (kind, name, limit)
    stmt = _NAMED.get(shape)
    if stmt is None:
        k = KINDS[kind]
        stmt = _NAMED[shape] = _shaped(_doc_select(k), k.table, where(), None, limit, None)
    return [_row_doc(KINDS[kind], row) for row in _driver_rows(conn, stmt, params)]


def find_raw(
    conn: Connection,
    kind: str,
    where: ColumnElement[bool] | None = None,
    order_by: Any = None,
    limit: int | None = None,
    offset: int | None = None,
) -> list[RawRow]:
    """Like :func:`find`, leaving each document undecoded."""
    k = KINDS[kind]
    q = _shaped(_raw_select(k), k.table, where, order_by, limit, offset)
    return [_raw_row(kind, k, row) for row in conn.execute(q)]


def find_raw_in(conn: Connection, kind: str, column: str, values: list[str]) -> list[RawRow]:
    """The rows whose ``column`` is one of ``values`` (read :data:`IN_CHUNK` at a time), undecoded, oldest first
    within each chunk; through a statement built once per kind and column."""
    k = KINDS[kind]
    stmt = _RAW_IN.get((kind, column))
    if stmt is None:
        q = _raw_select(k).where(k.table.c[column].in_(bindparam("values", expanding=True)))
        stmt = _RAW_IN[(kind, column)] = q.order_by(k.table.c.created, k.table.c.id)
    return [_raw_row(kind, k, row) for i in range(0, len(values), IN_CHUNK)
            for row in conn.execute(stmt, {"values": values[i:i + IN_CHUNK]})]


def count(conn: Connection, kind: str, where: ColumnElement[bool] | None = None) -> int:
    t = KINDS[kind].table
    q = select(func.count()).select_from(t)
    if where is not None:
        q = q.where(where)
    return conn.execute(q).scalar_one()


def insert_doc(conn: Connection, kind: str, doc: dict) -> dict:
    k = KINDS[kind]
    stmt = _INSERT.get(kind)
    if stmt is None:
        stmt = _INSERT[kind] = insert(k.table)
    conn.execute(stmt, {"id": doc["id"], "created": time.time(), **_columns(k, doc)})
    return doc


def update_doc(conn: Connection, kind: str, doc: dict) -> dict:
    k = KINDS[kind]
    stmt = _UPDATE.get(kind)
    if stmt is None:  # every column but the id and the creation time is written
        stmt = _UPDATE[kind] = update(k.table).where(k.table.c.id == bindparam("ident"))
    conn.execute(stmt, {"ident": doc["id"], **_columns(k, doc)})
    return doc


def delete_doc(conn: Connection, kind: str, ident: str) -> None:
    k = KINDS[kind]
    conn.execute(delete(k.table).where(k.table.c.id == ident))
