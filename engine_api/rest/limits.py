"""Request bodies read by what actually arrives, not by what Content-Length claims.

A body is kept up to ``limit`` bytes; beyond that the rest is read and dropped (so that the client can still
read the answer) up to ``DRAIN`` bytes, after which the connection is given up. Memory never holds more than
one limit per request, chunked or not.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request

DRAIN = 16 << 20  # bytes of an oversized body read and dropped before the connection is given up


class BodyTooLarge(Exception):
    def __init__(self, size: int, limit: int, complete: bool):
        what = f"{size} bytes" if complete else f"more than {size} bytes"
        super().__init__(f"request body of {what} is over the limit of {limit}")
        self.limit = limit


class BodyIncomplete(Exception):
    """The client went away before its body ended."""


def _declared(request: Request) -> int | None:
    length = request.headers.get("content-length", "").strip()
    return int(length) if length.isascii() and length.isdigit() and len(length) < 19 else None


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes; raises BodyTooLarge (naming ``limit``) for a longer one."""
    declared = _declared(request)
    if declared is not None and declared > max(limit, DRAIN):
        raise BodyTooLarge(declared, limit, True)  # not worth draining: the connection is closed after
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size <= limit:
                chunks.append(chunk)
            elif size > DRAIN:
                raise BodyTooLarge(size, limit, False)
            else:
                chunks.clear()
    except ClientDisconnect:
        raise BodyIncomplete() from None
    if size > limit:
        raise BodyTooLarge(size, limit, True)
    body = b"".join(chunks)
    request._body = body  # what request.body() answers from now on
    return body
