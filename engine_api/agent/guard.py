"""The agent's gate, before any route runs: the caller's credential first, then a bounded body that must be a
JSON object. A caller without the credential never gets a byte of its body read; a body that is not JSON, or
is too large or too deeply nested, is a 4xx, never an error inside a route."""

from __future__ import annotations

import hmac
import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 8 << 20  # a VM definition with its domain XML is well under this
MAX_DEPTH = 64
OPEN = frozenset({"/health"})  # answered without the credential
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(rb"[\[\]{}]")


def _too_deep(body: bytes) -> bool:
    depth = 0
    for m in _BRACKET.finditer(_STRING.sub(b'""', body)):
        depth += 1 if m.group() in (b"[", b"{") else -1
        if depth > MAX_DEPTH:
            return True
    return False


class AgentGuard:
    def __init__(self, app: ASGIApp, secret: str):
        self.app = app
        self.secret = secret.encode()

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                scheme, _, token = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), self.secret)
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN:
            await self.app(scope, receive, send)
            return
        if not self._authorized(scope):
            await _answer(send, 401, "not authorized")
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                await _answer(send, 413, f"the request body is over the limit of {MAX_BODY} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body.strip():
            error = None
            if _too_deep(body):
                error = f"the request body is nested more than {MAX_DEPTH} levels deep"
            else:
                try:
                    if not isinstance(json.loads(body), dict):
                        error = "the request body must be a JSON object"
                except (ValueError, RecursionError) as e:
                    error = f"the request body is not JSON: {str(e)[:120]}"
            if error:
                await _answer(send, 400, error)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _answer(send: Send, status: int, error: str) -> None:
    data = json.dumps({"error": error}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})
