"""What a request may read: oVirt's ``filter`` and the user-level view.

``filter`` comes as a query parameter or a ``Filter`` header (t/true/y/yes/1, f/false/n/no/0). Absent, it is
true for users without an administrative role and false for administrators. A filtered list holds only what the
user has permissions on (:mod:`engine_api.auth.scope`, one SQL condition added to the list's query), and an
entity the user does not see answers 404 as if it did not exist. A non-administrator asking for ``filter=false``
gets oVirt's 400.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, and_, false, or_, select, true

from engine_api.auth import scope
from engine_api.auth.grants import Grants, rbac_for
from engine_api.auth.permits import EVERYONE_ID, MANIPULATE_PERMISSIONS, SYSTEM_ID
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest, NotFound
from engine_api.rest.resources import Collection
from engine_api.store.schema import KINDS, group_members

_TRUE = frozenset({"t", "true", "y", "yes", "1"})
_FALSE = frozenset({"f", "false", "n", "no", "0"})
INSUFFICIENT = "query execution failed due to insufficient permissions."
DIRECTORY: list[Collection] = []  # the internal domain's users and groups: listed whole, as oVirt does


def grants(ctx: Context) -> Grants:
    return rbac_for(ctx.engine.db).grants(ctx.user.id)


def filtered(ctx: Context) -> bool:
    if ctx.user.system:
        return False
    raw = ctx.params.get("filter")
    g = grants(ctx)
    if raw is None or raw.strip() == "":
        return not g.admin
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        if not g.admin:
            raise BadRequest(INSUFFICIENT, "Operation Failed")
        return False
    raise BadRequest(f"filter must be true or false, got '{raw[:20]}'", "Invalid value")


def _imported(kind: str) -> ColumnElement[bool]:
    """Users and groups of the directory that were never added to the engine are not in ``/users``."""
    flag = KINDS[kind].table.c.doc["_imported"].as_boolean()
    return or_(flag.is_(None), flag == true())


def restriction(ctx: Context, coll: Collection) -> ColumnElement[bool] | None:
    """The condition a list of ``coll`` (rows of a kind) gets for this request; None: the whole list."""
    kind = coll.kind
    if kind is None or any(coll is c for c in DIRECTORY):
        return None
    if kind in ("user", "group", "role"):
        return _principals(ctx, kind)
    if kind not in scope.FILTERED_KINDS or not filtered(ctx):
        return None
    return scope.restrict(grants(ctx), kind)


def _principals(ctx: Context, kind: str) -> ColumnElement[bool] | None:
    t = KINDS[kind].table
    g = grants(ctx)
    if ctx.user.system or not filtered(ctx):
        if kind != "role":
            return _imported(kind)
        if not g.admin:  # non-administrators see the user roles only
            return t.c.doc["administrative"].as_boolean() == false()
        return None
    if kind == "user":  # all users only with MANIPULATE_PERMISSIONS held directly; one's own self always
        if MANIPULATE_PERMISSIONS not in g.direct_permits(SYSTEM_ID):
            return and_(_imported(kind), t.c.id == ctx.user.id)
        return _imported(kind)
    if kind == "group":
        mine = select(group_members.c.group_id).where(group_members.c.user_id == ctx.user.id)
        return and_(_imported(kind), or_(t.c.id.in_(mine), t.c.id == EVERYONE_ID))
    return t.c.doc["administrative"].as_boolean() == false()


def check_visible(ctx: Context, conn: Connection, coll: Collection, ident: str) -> None:
    """404 for an entity the request does not see (only when its list would be restricted)."""
    cond = restriction(ctx, coll)
    if cond is None:
        return
    t = KINDS[coll.store_kind].table
    if conn.execute(select(t.c.id).where(t.c.id == ident, cond)).first() is None:
        raise NotFound(f"{coll.type.replace('_', ' ')} '{ident}' does not exist")


def visible_ids(ctx: Context, conn: Connection, kind: str, ids: list[str]) -> set[str]:
    """Which of ``ids`` (rows of ``kind``) the request sees."""
    if not filtered(ctx) or kind not in scope.FILTERED_KINDS:
        return set(ids)
    if not ids:
        return set()
    t = KINDS[kind].table
    q = select(t.c.id).where(t.c.id.in_(ids))
    if (cond := scope.restrict(grants(ctx), kind)) is not None:
        q = q.where(cond)
    return {r[0] for r in conn.execute(q)}


def filter_items(ctx: Context, coll: Collection, items: list) -> list:
    """Computed lists: a filtered user's events are those they caused or that name a VM they see."""
    if coll.type != "event" or not filtered(ctx):
        return items
    vm_ids = [d["vm"]["id"] for d in items if isinstance(d.get("vm"), dict) and d["vm"].get("id")]
    with ctx.engine.db.read() as conn:
        seen = visible_ids(ctx, conn, "vm", vm_ids)
    return [d for d in items if (d.get("user") or {}).get("id") == ctx.user.id
            or (d.get("vm") or {}).get("id") in seen]
