"""``/ovirt-engine/api/vdc/schedulerplugins``: external scheduling units as managed artifacts (a vdc extension
of the API, JSON).

- ``GET    .../vdc/schedulerplugins``        every plugin file: ``{id, name, sha256, content, units}``
- ``POST   .../vdc/schedulerplugins``        add one: ``{name, content | content_base64}``; its unit classes are
                                              registered in ``/schedulingpolicyunits`` (``internal=false``)
- ``GET    .../vdc/schedulerplugins/{id}``   one plugin
- ``PUT    .../vdc/schedulerplugins/{id}``   replace its content; its units are replaced in one transaction
- ``DELETE .../vdc/schedulerplugins/{id}``   remove it and its units (409 while a policy uses one)
- ``GET    .../vdc/schedulerplugins/sandbox`` what the workers that run units enforce

A file that is not a plugin is refused with a 400 saying why and registers nothing. Faults are ``{reason,
detail}``. Only administrators may call these (adding a unit runs code in the scheduler).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine_api.auth.tokens import TooManyAttempts
from engine_api.commands import external_runtime, external_units
from engine_api.commands.context import Context, User
from engine_api.commands.errors import BadRequest, Fault, Forbidden, NotAuthenticated
from engine_api.engine import Engine
from engine_api.rest.limits import BodyIncomplete, BodyTooLarge, read_body

PLUGINS = "/ovirt-engine/api/vdc/schedulerplugins"
MAX_BODY = 1 << 20


def _user(engine: Engine, request: Request) -> User:
    auth = engine.auth
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    user = None
    if scheme.lower() == "bearer" and value:
        user = auth.resolve(value.strip())
    elif scheme.lower() == "basic" and value:
        try:
            name, _, password = base64.b64decode(value).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise NotAuthenticated("malformed Basic credentials") from None
        try:
            user = auth.check_password(name, password, request.client.host if request.client else "")
        except TooManyAttempts as e:
            raise Fault(str(e), "Too many requests") from None
    elif session := request.cookies.get("JSESSIONID"):
        user = auth.resolve(session)
    if user is None:
        raise NotAuthenticated("authentication is required")
    if not user.admin:
        raise Forbidden("only an administrator may manage scheduler plugins")
    return user


async def _json(request: Request) -> dict:
    raw = await read_body(request, MAX_BODY)
    try:
        body = json.loads(raw or b"{}")
    except ValueError as e:
        raise BadRequest(f"the request body is not JSON: {e}") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def routes(engine: Engine) -> list[Route]:
    def guarded(work: Callable[[Request, Context], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            try:
                user = await run_in_threadpool(_user, engine, request)
                cid = request.headers.get("correlation-id", "")[:36]
                return await work(request, Context(engine, user, cid))
            except BodyTooLarge as e:
                return JSONResponse({"reason": "Request entity too large", "detail": f"[{e}]"}, 413)
            except BodyIncomplete:
                return JSONResponse({"reason": "Bad request", "detail": "[the request body ended early]"}, 400)
            except Fault as e:
                headers = {"WWW-Authenticate": 'Basic realm="RESTAPI"'} if e.status == 401 else None
                status = 429 if e.reason == "Too many requests" else e.status
                return JSONResponse({"reason": e.reason, "detail": f"[{e.detail}]"}, status, headers)
        return handle

    async def listing(request: Request, ctx: Context) -> Response:
        def work() -> dict:
            with engine.db.read() as conn:
                return {"scheduler_plugin": external_units.plugins(conn)}
        return JSONResponse(await run_in_threadpool(work))

    async def add(request: Request, ctx: Context) -> Response:
        body = await _json(request)
        out = await run_in_threadpool(external_units.add, ctx, body)
        return JSONResponse(out, 201, {"Location": out["href"]})

    async def sandbox(request: Request, ctx: Context) -> Response:
        def work() -> dict:
            rt = external_runtime.runtime(engine)
            rt.pool.call({"op": "ping"}, 5)  # the first worker is up: its report is known
            return {"sandboxed": rt.settings.sandboxed(), "workers": rt.settings.size, "timeout": rt.timeout(),
                    "enforced": rt.pool.enforced, "api_url": rt.url}
        return JSONResponse(await run_in_threadpool(work))

    async def one(request: Request, ctx: Context) -> Response:
        ident = request.path_params["id"]
        if request.method == "GET":
            def show() -> dict:
                with engine.db.read() as conn:
                    return external_units.plugin(conn, ident)
            return JSONResponse(await run_in_threadpool(show))
        if request.method == "DELETE":
            await run_in_threadpool(external_units.remove, ctx, ident)
            return JSONResponse({"status": "complete"})
        body = await _json(request)
        return JSONResponse(await run_in_threadpool(external_units.update, ctx, ident, body))

    return [
        Route(PLUGINS, guarded(listing), methods=["GET"]),
        Route(PLUGINS, guarded(add), methods=["POST"]),
        Route(f"{PLUGINS}/sandbox", guarded(sandbox), methods=["GET"]),
        Route(f"{PLUGINS}/{{id}}", guarded(one), methods=["GET", "PUT", "DELETE"]),
    ]
