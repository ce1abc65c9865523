"""Tokens the engine honours for reading only: those of ``vdc-scheduler@internal``, the user whose short-lived
tokens external scheduling units get (see :mod:`engine_api.commands.external_runtime`). Any request other than
GET, HEAD or OPTIONS that carries one (as a bearer token or as a session made with it) is refused with a 403
before it reaches the API, whatever the user's roles say.

A token's user never changes, so what the store says of a token is remembered (a bounded number of them): the
check costs a database read only for a token not seen yet. Whether the token is still valid is the API's to
check, on every request."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from http.cookies import SimpleCookie
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from engine_api.auth.tokens import digest
from engine_api.commands.external_runtime import USER_ID
from engine_api.store.schema import tokens

SAFE = {"GET", "HEAD", "OPTIONS"}
REMEMBERED = 4096  # token digests whose user is remembered (the least recently used are forgotten)


class ReadOnlyTokens:
    def __init__(self, app: Any, engine: Any):
        self.app = app
        self.engine = engine
        self._users: OrderedDict[str, str | None] = OrderedDict()  # token digest -> its user's id (None: unknown)
        self._lock = threading.Lock()  # the event loop reads it while a worker thread fills it

    def _credentials(self, scope: dict) -> list[str]:
        found = []
        for name, value in scope.get("headers") or []:
            if name == b"authorization":
                scheme, _, token = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and token.strip():
                    found.append(token.strip())
            elif name == b"cookie":
                cookie: SimpleCookie = SimpleCookie()
                try:
                    cookie.load(value.decode("latin-1"))
                except Exception:  # a malformed cookie header is the API's to refuse
                    continue
                if "JSESSIONID" in cookie:
                    found.append(cookie["JSESSIONID"].value)
        return found

    def _remembered(self, digests: list[str]) -> bool | None:
        """Whether one of the tokens is read-only, when every one of them was seen before; None otherwise."""
        with self._lock:
            if any(d not in self._users for d in digests):
                return None
            for d in digests:
                self._users.move_to_end(d)
            return any(self._users[d] == USER_ID for d in digests)

    def _look_up(self, digests: list[str]) -> bool:
        with self.engine.db.read() as conn:
            rows = conn.execute(select(tokens.c.token_hash, tokens.c.user_id).where(tokens.c.token_hash.in_(digests)))
            found = {r.token_hash: r.user_id for r in rows}
        with self._lock:
            for d in digests:
                self._users[d] = found.get(d)
            while len(self._users) > REMEMBERED:
                self._users.popitem(last=False)
        return any(user == USER_ID for user in found.values())

    async def _read_only(self, scope: dict) -> bool:
        digests = [digest(c) for c in self._credentials(scope)]
        if not digests:
            return False
        known = self._remembered(digests)
        return known if known is not None else await run_in_threadpool(self._look_up, digests)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("method", "GET") not in SAFE:
            if await self._read_only(scope):
                body = json.dumps({"reason": "Forbidden", "detail": "[this token is for reading only: external "
                                                                    "scheduling units may not change anything]"})
                accept = dict(scope.get("headers") or []).get(b"accept", b"").decode("latin-1")
                if "json" not in accept:
                    body = ("<fault><reason>Forbidden</reason><detail>[this token is for reading only: external "
                            "scheduling units may not change anything]</detail></fault>")
                await send({"type": "http.response.start", "status": 403, "headers": [
                    (b"content-type", b"application/json" if "json" in accept else b"application/xml")]})
                await send({"type": "http.response.body", "body": body.encode()})
                return
        await self.app(scope, receive, send)
