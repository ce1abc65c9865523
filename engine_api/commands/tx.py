"""A command's transaction: reads and writes of one request, its events, and reference resolution.

Its clock (``now_iso``) is the audit log's, so that commands date what they write as the events about it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, overload

from sqlalchemy import Connection, delete

from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Conflict, NotFound
from engine_api.model.text import illegal_text
from engine_api.store import repo
from engine_api.store.audit import now_iso as now_iso  # the commands date what they write by the audit clock
from engine_api.store.audit import record_event
from engine_api.store.schema import KINDS, permissions

if TYPE_CHECKING:
    from engine_api.engine import Engine

EVENT_REFS = ("vm", "host", "cluster", "data_center", "storage_domain", "template", "user")


def new_id() -> str:
    return str(uuid.uuid4())


class Tx:
    def __init__(self, conn: Connection, ctx: Context | None):
        self.conn = conn
        self.ctx = ctx
        self.events = 0
        self.writes = 0

    @property
    def engine(self) -> Engine:
        """The engine the command runs in (every command has a context; only the store's seeding has none)."""
        if self.ctx is None:
            raise RuntimeError("a transaction without a context has no engine")
        return self.ctx.engine

    @property
    def who(self) -> str:
        return self.ctx.user.name if self.ctx else "system"

    # reads
    def get(self, kind: str, ident: str) -> dict | None:
        return repo.get(self.conn, kind, ident)

    def must(self, kind: str, ident: str) -> dict:
        doc = repo.get(self.conn, kind, ident)
        if doc is None:
            raise NotFound(f"{KINDS[kind].type.replace('_', ' ')} '{ident}' does not exist")
        return doc

    def find(self, kind: str, where=None, **kw) -> list[dict]:
        return repo.find(self.conn, kind, where, **kw)

    def find_by(self, kind: str, **columns: Any) -> list[dict]:
        return repo.find_by(self.conn, kind, **columns)

    def find_named(self, kind: str, name: str, where: Callable[[], Any], limit: int | None = None,
                   **params: Any) -> list[dict]:
        return repo.find_named(self.conn, kind, name, where, params, limit)

    def by_name(self, kind: str, name: str, **scope: str) -> list[dict]:
        return repo.by_name(self.conn, kind, name, scope)

    @overload
    def ref(self, kind: str, value: Any, field: str, required: Literal[True] = True, **scope: str) -> dict: ...

    @overload
    def ref(self, kind: str, value: Any, field: str, required: bool, **scope: str) -> dict | None: ...

    def ref(self, kind: str, value: Any, field: str, required: bool = True, **scope: str) -> dict | None:
        """Resolve a reference given by id or by name; a bad one is a 400 naming ``field`` (a missing one too,
        unless it is not ``required``: then None)."""
        if not value:
            if required:
                raise BadRequest(f"{field} is required")
            return None
        if not isinstance(value, dict):
            raise BadRequest(f"{field} must be a reference with an id or a name")
        if value.get("id"):
            found = repo.get(self.conn, kind, value["id"])
            if found is None:
                raise BadRequest(f"{field}: no {kind.replace('_', ' ')} with id '{value['id']}'")
            return found
        if value.get("name"):
            found_list = self.by_name(kind, value["name"], **scope)
            if not found_list:
                raise BadRequest(f"{field}: no {kind.replace('_', ' ')} named '{value['name']}'")
            if len(found_list) > 1:
                raise BadRequest(f"{field}: the name '{value['name']}' is ambiguous, give an id")
            return found_list[0]
        raise BadRequest(f"{field} must name an id or a name")

    def unique_name(self, kind: str, name: str, what: str, exclude: str | None = None, **scope: str) -> None:
        clash = [d for d in self.by_name(kind, name, **scope) if d["id"] != exclude]
        if clash:
            raise Conflict(f"Cannot add {what}. The name '{name}' is already in use.")

    # writes
    @staticmethod
    def _storable(kind: str, doc: dict) -> None:
        """Whatever a command writes, from a request or from a host's report, can be answered in XML later."""
        where = illegal_text(doc, kind)
        if where:
            raise BadRequest(f"{where}: control characters and lone surrogates cannot be stored",
                             "Invalid value")

    def insert(self, kind: str, doc: dict) -> dict:
        self._storable(kind, doc)
        if doc.get("id") and repo.get(self.conn, kind, doc["id"]) is not None:
            raise Conflict(f"a {kind.replace('_', ' ')} with id '{doc['id']}' already exists")
        doc.setdefault("id", new_id())
        self.writes += 1
        return repo.insert_doc(self.conn, kind, doc)

    def update(self, kind: str, doc: dict) -> dict:
        self._storable(kind, doc)
        self.writes += 1
        return repo.update_doc(self.conn, kind, doc)

    def delete(self, kind: str, ident: str) -> None:
        self.writes += 1
        repo.delete_doc(self.conn, kind, ident)
        self.conn.execute(delete(permissions).where(permissions.c.object_id == ident))  # they die with it

    def event(self, code: int, description: str, severity: str = "normal", **refs: Any) -> None:
        record_event(self.conn, self.ctx, code, description, severity, **refs)
        self.events += 1
