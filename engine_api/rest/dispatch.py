"""Walk an API path to a collection, an entity, a sub-collection or an action, and serve it."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, Fault, MethodNotAllowed, NotFound
from engine_api.core.params import check_flags, follow_tree
from engine_api.rest import access, codec, describe, measured, options, render
from engine_api.rest.present import present, present_all
from engine_api.rest.resources import API, Collection
from engine_api.rest.root import ROOT, api_root
from engine_api.store.repo import RawRow

Result = tuple[int, bytes, dict[str, str]]


@dataclass(frozen=True)
class Awaiting:
    """An add asked with ``Expect: 201-created`` whose storage tasks still run: the server waits for ``tasks``
    without holding a thread, then calls ``then`` for the answer (or another wait)."""
    tasks: list[Future[None]]
    then: Callable[[], Result | Awaiting]


_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _encode(type_name: str, doc: dict, as_json: bool) -> bytes:
    return codec.to_json(type_name, doc) if as_json else codec.to_xml(type_name, doc)


def _decode(body: bytes, type_name: str, body_json: bool) -> dict:
    if not body.strip():
        return {}
    return codec.from_json(body, type_name) if body_json else codec.from_xml(body, type_name)


def dispatch(ctx: Context, method: str, path: str, body: bytes, body_json: bool,
             as_json: bool) -> Result | Awaiting:
    measured.bind(ctx)  # the computed collections read what hosts report through the request's engine
    check_flags(ctx.params)
    segments = [s for s in path.split("/") if s]
    if not segments:
        if method != "GET":
            raise MethodNotAllowed("only GET is supported on the API root")
        if "rsdl" in ctx.params or "schema" in ctx.params:
            return describe.answer("rsdl" if "rsdl" in ctx.params else "schema", as_json)
        return 200, _encode("api", api_root(ctx), as_json), {}
    if len(segments) == 1 and segments[0] in describe.DOCUMENTS:
        if method != "GET":
            raise MethodNotAllowed(f"only GET is supported on {segments[0]}")
        return describe.answer(segments[0], as_json)
    coll = ROOT.get(segments[0])
    if coll is None:
        raise NotFound(f"there is no collection '{segments[0]}'")
    base = f"{API}/{coll.name}"
    parent: dict | None = None
    rest = segments[1:]
    db = ctx.engine.db
    while True:
        if not rest:
            return _collection(ctx, coll, parent, base, method, body, body_json, as_json)
        ident, rest = rest[0], rest[1:]
        if not rest and method == "GET" and coll.plain and not ctx.params.get("follow"):
            options.check(coll, "get", ctx.params)
            with db.read() as conn:
                row = coll.get_raw(conn, parent, ident)
                access.check_visible(ctx, conn, coll, ident)  # hidden from a filtered user: 404
                return 200, render.encode(coll, base, row, as_json), {}
        with db.read() as conn:
            current = coll.get(conn, parent, ident)
            access.check_visible(ctx, conn, coll, ident)
        if not rest:
            return _entity(ctx, coll, parent, base, current, method, body, body_json, as_json)
        name = rest[0]
        if name in coll.subs:
            parent, base, coll, rest = current, f"{base}/{ident}/{name}", coll.subs[name], rest[1:]
            continue
        if name in coll.actions and len(rest) == 1:
            if method != "POST":
                raise MethodNotAllowed(f"the action '{name}' needs POST", ("POST",))
            options.check(coll, name, ctx.params)
            return _action(ctx, coll, parent, current, name, body, body_json, as_json)
        raise NotFound(f"{coll.type.replace('_', ' ')} has no sub-collection or action '{name}'")


def _methods(coll: Collection, entity: bool) -> tuple[str, ...]:
    """The HTTP methods a collection's path (or an entity's, with ``entity``) takes."""
    if not entity:
        return ("GET", "POST") if coll.add is not None else ("GET",)
    return ("GET",) + (("PUT",) if coll.update is not None else ()) + (("DELETE",) if coll.remove is not None else ())


def _collection(ctx: Context, coll: Collection, parent: dict | None, base: str, method: str, body: bytes,
                body_json: bool, as_json: bool) -> Result | Awaiting:
    if method == "GET":
        options.check(coll, "list", ctx.params)
        follow = follow_tree(ctx.params.get("follow"))
        with ctx.engine.db.read() as conn:
            raw = not follow or as_json  # rows: cached encodings (a JSON follow is spliced from them)
            items = coll.list(conn, parent, ctx.params, raw=raw, restrict=access.restriction(ctx, coll))
            items = access.filter_items(ctx, coll, items)
            if follow:
                spliced = render.encode_followed(conn, coll, [base] * len(items), items, follow) if as_json and all(
                    isinstance(i, RawRow) for i in items) else None
                if spliced is not None:
                    return 200, render.join_list(coll, spliced, as_json), {}
                items = [i.doc() if isinstance(i, RawRow) else i for i in items]
                present_all(conn, coll, base, items, follow, parent)
        return 200, render.encode_list(coll, base, items, as_json), {}
    if method == "POST":
        if coll.add is None:
            raise MethodNotAllowed(f"{coll.name} cannot be added to", _methods(coll, False))
        options.check(coll, "add", ctx.params)
        doc = _decode(body, coll.type, body_json)
        if "id" in doc and coll.type != "permit" and not _UUID.fullmatch(doc["id"]):  # permit ids are numbers
            raise BadRequest(f"{coll.type}.id '{doc['id']}' is not a UUID", "Invalid value")
        ident = coll.add(ctx, parent, doc)["id"]

        def answer() -> Result | Awaiting:
            running = [task for task in ctx.storage_tasks if not task.done()]
            if ctx.blocking and running:
                return Awaiting(running, answer)
            with ctx.engine.db.read() as conn:
                created = coll.get(conn, parent, ident)
            present(coll, base, created)
            return 201, _encode(coll.type, created, as_json), {"Location": created["href"]}

        return answer()
    raise MethodNotAllowed(f"{method} is not supported on a collection", _methods(coll, False))


def _entity(ctx: Context, coll: Collection, parent: dict | None, base: str, current: dict, method: str,
            body: bytes, body_json: bool, as_json: bool) -> Result:
    if method == "GET":
        options.check(coll, "get", ctx.params)
        follow = follow_tree(ctx.params.get("follow"))
        if follow:
            with ctx.engine.db.read() as conn:
                present_all(conn, coll, base, [current], follow, parent)
        return 200, render.encode(coll, base, current, as_json), {}
    if method == "PUT":
        if coll.update is None:
            raise MethodNotAllowed(f"{coll.type.replace('_', ' ')} cannot be updated", _methods(coll, True))
        options.check(coll, "update", ctx.params)
        changes = _decode(body, coll.type, body_json)
        changes.pop("id", None)
        coll.update(ctx, parent, current, changes)
        with ctx.engine.db.read() as conn:
            updated = coll.get(conn, parent, current["id"])
        present(coll, base, updated)
        return 200, _encode(coll.type, updated, as_json), {}
    if method == "DELETE":
        if coll.remove is None:
            raise MethodNotAllowed(f"{coll.type.replace('_', ' ')} cannot be removed", _methods(coll, True))
        options.check(coll, "remove", ctx.params)
        coll.remove(ctx, parent, current)
        return 200, _encode("action", {"status": "complete"}, as_json), {}
    raise MethodNotAllowed(f"{method} is not supported on an entity", _methods(coll, True))


def _action(ctx: Context, coll: Collection, parent: dict | None, current: dict, name: str, body: bytes,
            body_json: bool, as_json: bool) -> Result:
    params = _decode(body, "action", body_json)
    try:
        extra: Any = coll.actions[name](ctx, parent, current, params)
    except Fault as e:
        e.action = True  # type: ignore[attr-defined]
        raise
    except codec.CodecError:
        raise
    except ValueError as e:  # pragma: no cover - a command's own validation
        raise BadRequest(str(e)) from None
    result = dict(params)
    result.update(extra or {})
    result["status"] = "complete"
    return 200, _encode("action", result, as_json), {}
