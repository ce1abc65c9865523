"""Who asks, within which request: handed to every command and query."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine_api.engine import Engine


@dataclass
class User:
    id: str
    name: str  # e.g. admin@internal
    admin: bool = False  # holds an administrator role somewhere (unfiltered reads by default)
    system: bool = False  # the engine itself (monitoring, HA, balancing): no permission checks


@dataclass
class Context:
    engine: Engine
    user: User
    correlation_id: str = ""
    params: dict[str, str] = field(default_factory=dict)  # query parameters of the request
    authorized: set[tuple] = field(default_factory=set)  # (action, object) checks passed: a job's later steps
    blocking: bool = False  # ``Expect: 201-created``: an add answers once the storage tasks it started ended
    storage_tasks: list[Future[None]] = field(default_factory=list)  # the image work this request started
