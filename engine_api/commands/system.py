"""The engine acting on its own behalf (monitoring, HA, jobs): a context with the system user."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from engine_api.commands.builtin import ADMIN_ID
from engine_api.core.context import Context, User

if TYPE_CHECKING:
    from engine_api.engine import Engine

SYSTEM = User(ADMIN_ID, "system", admin=True, system=True)


def system_context(engine: Engine, purpose: str) -> Context:
    return Context(engine, SYSTEM, f"{purpose}-{uuid.uuid4().hex[:8]}")
