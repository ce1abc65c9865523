"""The plumbing shared by vdc's own JSON extensions of the API (``/ovirt-engine/api/vdc/...``: hooks, engine
configuration, scheduler plugins, UI plugins): the API's authentication (SSO bearer token, Basic, or the session
cookie) for administrators only, bounded JSON bodies, and faults as ``{reason, detail}`` with the API's codes."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from engine_api.auth.tokens import TooManyAttempts
from engine_api.core.context import Context, User
from engine_api.core.errors import BadRequest, Fault, Forbidden
from engine_api.rest import credentials
from engine_api.rest.limits import BodyIncomplete, BodyTooLarge, read_body

if TYPE_CHECKING:
    from engine_api.engine import Engine

Handler = Callable[[Request], Awaitable[Response]]
Work = Callable[[Request, Context], Awaitable[Response]]


def fault(status: int, reason: str, detail: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"reason": reason, "detail": f"[{detail}]"}, status, headers)


def administrator(engine: Engine, request: Request, what: str) -> User:
    """The caller (read as the API reads it), who must be an administrator; ``what`` names the extension."""
    try:
        user, _ = credentials.caller(engine, request)
    except TooManyAttempts as e:
        raise Fault(str(e), "Too many requests") from None
    if not user.admin:
        raise Forbidden(f"only an administrator may manage {what}")
    return user


async def json_body(request: Request, limit: int) -> dict:
    """The request's JSON object, read up to ``limit`` bytes."""
    raw = await read_body(request, limit)
    try:
        body = json.loads(raw or b"{}")
    except ValueError as e:
        raise BadRequest(f"the request body is not JSON: {e}") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def guarded(engine: Engine, what: str, work: Work,
            errors: dict[type[Exception], tuple[int, str]] | None = None) -> Handler:
    """A route handler: the administrator's context for ``work``, and every refusal answered as a fault;
    ``errors`` maps an extension's own exceptions to (status, reason)."""
    async def handle(request: Request) -> Response:
        try:
            user = await run_in_threadpool(administrator, engine, request, what)
            cid = request.headers.get("correlation-id", "")[:36]
            return await work(request, Context(engine, user, cid))
        except BodyTooLarge as e:
            return fault(413, "Request entity too large", str(e))
        except BodyIncomplete:
            return fault(400, "Bad request", "the request body ended early")
        except Fault as e:
            headers = {"WWW-Authenticate": 'Basic realm="RESTAPI"'} if e.status == 401 else None
            status = 429 if e.reason == "Too many requests" else e.status
            return fault(status, e.reason, e.detail, headers)
        except tuple(errors or ()) as e:
            status, reason = next(v for k, v in (errors or {}).items() if isinstance(e, k))
            return fault(status, reason, str(e))
    return handle
