"""What every engine holds of oVirt's multi-level administration: the built-in roles, the Everyone group with
its permissions, and SuperUser on System for ``admin@internal``. Idempotent: run by the migration that brings
the tables and again whenever an engine is initialised."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import Connection, insert, select, update

from engine_api.auth.permits import (
    BUILTIN_ROLES,
    EVERYONE_ID,
    EVERYONE_PERMISSIONS,
    ROLES_BY_NAME,
    SUPER_USER,
    SYSTEM_ID,
    role_doc,
)
from engine_api.store.schema import KINDS, permissions

ADMIN_ID = "fdfc627c-d875-11e0-90f0-83df133b58cc"  # admin@internal (engine_api.commands.builtin.ADMIN_ID)


def seed(conn: Connection) -> None:
    roles = KINDS["role"].table
    groups = KINDS["group"].table
    now = time.time()
    stored = {r.id: r.doc for r in conn.execute(select(roles.c.id, roles.c.doc))}
    for role in BUILTIN_ROLES:
        doc = role_doc(role)
        if role.id not in stored:
            conn.execute(insert(roles).values(id=role.id, name=role.name, created=now, doc=doc))
        elif stored[role.id] != doc:
            conn.execute(update(roles).where(roles.c.id == role.id).values(name=role.name, doc=doc))
    if conn.execute(select(groups.c.id).where(groups.c.id == EVERYONE_ID)).first() is None:
        conn.execute(insert(groups).values(id=EVERYONE_ID, name="Everyone", created=now,
                                           doc={"namespace": "*", "_imported": True, "_builtin": True}))
    for role_name, object_type, object_id in EVERYONE_PERMISSIONS:
        grant(conn, ROLES_BY_NAME[role_name].id, object_type, object_id, group_id=EVERYONE_ID)
    users = KINDS["user"].table
    if conn.execute(select(users.c.id).where(users.c.id == ADMIN_ID)).first() is not None:
        grant(conn, SUPER_USER.id, "system", SYSTEM_ID, user_id=ADMIN_ID)


def grant(conn: Connection, role_id: str, object_type: str, object_id: str, user_id: str | None = None,
          group_id: str | None = None) -> str:
    """Give the role to the user or group on the object unless they already hold it there; the permission id."""
    p = permissions.c
    q = select(p.id).where(p.role_id == role_id, p.object_id == object_id,
                           (p.user_id == user_id) if user_id else (p.group_id == group_id))
    found = conn.execute(q).first()
    if found is not None:
        return found.id
    ident = str(uuid.uuid4())
    conn.execute(insert(permissions).values(id=ident, role_id=role_id, user_id=user_id, group_id=group_id,
                                            object_type=object_type, object_id=object_id, created=time.time()))
    return ident
