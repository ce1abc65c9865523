"""Tokens the engine honours for reading only: those of ``vdc-scheduler@internal``, the user whose short-lived
tokens external scheduling units get (see :mod:`engine_api.commands.external_runtime`). Any request other than
GET, HEAD or OPTIONS that carries one (as a bearer token or as a session made with it) is refused with a 403
before it reaches the API, whatever the user's roles say."""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from typing import Any

from sqlalchemy import select

from engine_api.auth.tokens import digest
from engine_api.commands.external_runtime import USER_ID
from engine_api.store.schema import tokens

SAFE = {"GET", "HEAD", "OPTIONS"}


class ReadOnlyTokens:
    def __init__(self, app: Any, engine: Any):
        self.app = app
        self.engine = engine

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

    def _read_only(self, scope: dict) -> bool:
        creds = self._credentials(scope)
        if not creds:
            return False
        with self.engine.db.read() as conn:
            rows = conn.execute(select(tokens.c.user_id).where(tokens.c.token_hash.in_([digest(c) for c in creds])))
            return any(r.user_id == USER_ID for r in rows)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("method", "GET") not in SAFE:
            from starlette.concurrency import run_in_threadpool

            if await run_in_threadpool(self._read_only, scope):
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
