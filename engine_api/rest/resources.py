"""Collections of the API: how a URL segment maps to a kind, its scope, search fields and operations.

A :class:`Collection` is generic over the store: listing, getting and searching need no code per
entity. Adds, updates, removes and actions are command functions given to it; a collection whose
items are not rows of one kind (storage domains attached to a data center) supplies its own
``load``/``list_items``.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Connection, cast, select, true

from engine_api.core.context import Context
from engine_api.core.errors import NotFound
from engine_api.core.params import integer
from engine_api.model.types import enum_order
from engine_api.store import repo, search
from engine_api.store.listing import listing
from engine_api.store.schema import KINDS

API = "/ovirt-engine/api"

# A search field: a function of the kind's table giving a column expression, and its kind.
SearchField = tuple[Callable[[Any], Any], str]

AddFn = Callable[[Context, dict | None, dict], dict]  # (ctx, parent, doc) -> created doc
UpdateFn = Callable[[Context, dict | None, dict, dict], dict]  # (ctx, parent, current, changes) -> doc
RemoveFn = Callable[[Context, dict | None, dict], None]  # (ctx, parent, current)
ActionFn = Callable[[Context, dict | None, dict, dict], dict | None]  # (ctx, parent, current, action)


def doc_field(path: str, kind: str = "str") -> SearchField:
    keys = path.split(".")

    def expr(t):
        e = t.c.doc[tuple(keys)] if len(keys) > 1 else t.c.doc[keys[0]]
        if kind == "int":
            return cast(e.as_string(), BigInteger)
        if kind == "bool":
            return e.as_boolean()
        return e.as_string()

    return expr, kind


def column(name: str, kind: str = "str") -> SearchField:
    return (lambda t: t.c[name]), kind


def ref_name(member: str, target_kind: str) -> SearchField:
    """The name of the entity a reference column points at."""

    def expr(t):
        target = KINDS[target_kind].table
        return select(target.c.name).where(target.c.id == t.c[f"{member}_id"]).scalar_subquery()

    return expr, "str"


BASE_FIELDS: dict[str, SearchField] = {
    "name": column("name"), "id": column("id"),
    "description": doc_field("description"), "comment": doc_field("comment"),
}


@dataclass
class Collection:
    name: str  # URL segment
    type: str  # wire type of the items
    kind: str | None = None  # store kind; None for collections with their own loaders
    parent_ref: str | None = None  # for sub-collections: the item's member pointing at the parent
    fields: dict[str, SearchField] = field(default_factory=dict)
    add: AddFn | None = None
    update: UpdateFn | None = None
    remove: RemoveFn | None = None
    actions: dict[str, ActionFn] = field(default_factory=dict)
    subs: dict[str, Collection] = field(default_factory=dict)
    scope: Callable[[Any, dict], ColumnElement[bool]] | None = None  # extra scope under a parent
    load: Callable[[Connection, dict | None, str], dict | None] | None = None
    list_items: Callable[[Connection, dict | None, dict[str, str]], list[dict]] | None = None
    decorate: Callable[[Connection, dict | None, dict], None] | None = None  # computed members
    decorate_reads_row_only: bool = False  # ``decorate`` uses the document alone (no store, no parent)
    # the same for a whole list in one go (one query for every item instead of one each), when it can
    decorate_many: Callable[[Connection, dict | None, list[dict]], None] | None = None
    rewrite: Callable[[search.Where | None], search.Where | None] | None = None  # adjusts a parsed search
    default_sort: str | None = None
    descending: bool = False

    # -- reading

    @property
    def store_kind(self) -> str:
        """The kind whose rows the collection lists (only for one that has no loaders of its own)."""
        if self.kind is None:
            raise TypeError(f"collection {self.name} is not a kind of the store")
        return self.kind

    def _where(self, parent: dict | None) -> ColumnElement[bool]:
        t = KINDS[self.store_kind].table
        where: ColumnElement[bool] = true()
        if parent is not None and self.parent_ref:
            where = t.c[f"{self.parent_ref}_id"] == parent["id"]
        if parent is not None and self.scope is not None:
            where = where & self.scope(t, parent)
        return where

    def resolve_field(self, name: str, ref: str | None) -> search.Resolved:
        key = f"{ref}.{name}" if ref else name
        spec = self.fields.get(key) or (BASE_FIELDS.get(name) if ref is None else None)
        if spec is None:
            raise search.unknown_field(name, ref, sorted(set(self.fields) | set(BASE_FIELDS)))
        expr = spec[0](KINDS[self.store_kind].table)
        if isinstance(expr, search.Resolved):  # a field that builds its own condition (tag=)
            return expr
        order = enum_order(self.type, name) if ref is None and spec[1] == "str" else ()
        return search.Resolved(expr, spec[1], order)

    def get_raw(self, conn: Connection, parent: dict | None, ident: str) -> repo.RawRow:
        """One item of a plain collection, undecoded (see :attr:`plain`)."""
        row = repo.get_raw(conn, self.store_kind, ident)
        if row is not None and parent is not None and dict(row.refs).get(self.parent_ref or "") != parent["id"]:
            row = None
        if row is None:
            raise NotFound(f"{self.type.replace('_', ' ')} '{ident}' does not exist")
        return row

    def get(self, conn: Connection, parent: dict | None, ident: str) -> dict:
        if self.load is not None:
            doc = self.load(conn, parent, ident)
        else:
            doc = repo.get(conn, self.store_kind, ident)
            if doc is not None and parent is not None and self.parent_ref:
                if (doc.get(self.parent_ref) or {}).get("id") != parent["id"]:
                    doc = None
        if doc is None:
            raise NotFound(f"{self.type.replace('_', ' ')} '{ident}' does not exist")
        if self.decorate:
            self.decorate(conn, parent, doc)
        return doc

    @property
    def plain(self) -> bool:
        """Items are rows of one kind, served as stored: their encoding can be cached by row."""
        return (bool(self.kind) and self.load is None and self.list_items is None and self.decorate is None
                and self.scope is None)

    def list(self, conn: Connection, parent: dict | None, params: dict[str, str], raw: bool = False,
             restrict: ColumnElement[bool] | None = None) -> list:
        """The items, as documents (or as undecoded rows with ``raw`` on a plain collection); ``restrict``
        narrows a list of rows to what the request may see."""
        limit = integer(params, "max", minimum=-1)
        limit = None if limit is None or limit < 0 else limit
        if self.list_items is not None:
            docs = self.list_items(conn, parent, params)
            docs = docs if limit is None else docs[:limit]
        else:
            docs = self._query(conn, parent, params, limit, raw and self.plain, restrict)
        if self.decorate_many:
            self.decorate_many(conn, parent, docs)
        elif self.decorate:
            for doc in docs:
                self.decorate(conn, parent, doc)
        return docs

    def _query(self, conn: Connection, parent: dict | None, params: dict[str, str], limit: int | None,
               raw: bool = False, restrict: ColumnElement[bool] | None = None) -> builtins.list:
        t = KINDS[self.store_kind].table
        where = self._where(parent)
        if restrict is not None:
            where = where & restrict
        ask = listing(params, self.resolve_field, limit, tiebreak=(t.c.id,), rewrite=self.rewrite)
        if ask.where is not None:
            where = where & ask.where
        order = ask.order
        if order is None and self.default_sort:
            c = t.c[self.default_sort]
            order = [c.desc() if self.descending else c.asc()]
        find = repo.find_raw if raw else repo.find
        return find(conn, self.store_kind, where, order_by=order, limit=ask.limit, offset=ask.offset)
