"""``/ovirt-engine/api/vdc/hooks`` and ``/ovirt-engine/api/vdc/engineconfig``: vdc extensions of the API (JSON).

VDSM hooks as managed artifacts (see :mod:`engine_api.commands.vdsm_hooks`):

- ``GET    .../vdc/hooks``               every hook with its sha256, targets and per-host status
- ``POST   .../vdc/hooks``               add one: ``{name, event, content | content_base64, clusters, hosts}``;
                                          the engine installs it on every target host that is up
- ``GET    .../vdc/hooks/{id}``          one hook
- ``PUT    .../vdc/hooks/{id}``          change its content and/or targets (and deploy)
- ``DELETE .../vdc/hooks/{id}``          remove it from the engine and from every host
- ``POST   .../vdc/hooks/{id}/deploy``   deploy it again (repairs drift); ``POST .../vdc/hooks/deploy``: all

Engine configuration (see :mod:`engine_api.commands.engine_config`), as ``vdc-engine config`` does:

- ``GET .../vdc/engineconfig``           every key at every level: ``{name, version, value, description}``
- ``GET .../vdc/engineconfig/{name}``    one key at every level
- ``PUT .../vdc/engineconfig/{name}``    ``{value, version}``: set it (its whole value)

Faults are ``{reason, detail}`` with the API's status codes. Only administrators may call these.
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
from engine_api.commands import engine_config, hook_deploy, vdsm_hooks
from engine_api.commands.context import Context, User
from engine_api.commands.errors import BadRequest, Fault, Forbidden, NotAuthenticated
from engine_api.commands.runner import run
from engine_api.commands.tx import Tx
from engine_api.engine import Engine
from engine_api.rest.limits import BodyIncomplete, BodyTooLarge, read_body

HOOKS = "/ovirt-engine/api/vdc/hooks"
CONFIG = "/ovirt-engine/api/vdc/engineconfig"
MAX_BODY = 2 << 20


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
        raise Forbidden("only an administrator may manage VDSM hooks and the engine configuration")
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

    def show(ctx: Context, doc: dict, deploy_errors: dict | None = None) -> dict:
        with engine.db.read() as conn:
            out = vdsm_hooks.describe(Tx(conn, ctx), vdsm_hooks.get(conn, doc["id"]))
        if deploy_errors:
            out["deploy_errors"] = deploy_errors
        return out

    async def listing(request: Request, ctx: Context) -> Response:
        def work() -> dict:
            with engine.db.read() as conn:
                tx = Tx(conn, ctx)
                return {"vdsm_hook": [vdsm_hooks.describe(tx, h) for h in vdsm_hooks.all_hooks(conn)]}
        return JSONResponse(await run_in_threadpool(work))

    async def add(request: Request, ctx: Context) -> Response:
        body = await _json(request)

        def work() -> dict:
            doc = run(ctx, "add_vdsm_hook", vdsm_hooks.add, body)
            with engine.db.read() as conn:
                targets = vdsm_hooks.target_host_ids(Tx(conn, ctx), doc)
            return show(ctx, doc, hook_deploy.deploy(ctx, targets))
        out = await run_in_threadpool(work)
        return JSONResponse(out, 201, {"Location": out["href"]})

    async def one(request: Request, ctx: Context) -> Response:
        ident = request.path_params["id"]
        if request.method == "GET":
            return JSONResponse(await run_in_threadpool(show, ctx, {"id": ident}))
        if request.method == "DELETE":
            def remove() -> dict:
                _, hosts = run(ctx, "remove_vdsm_hook", vdsm_hooks.remove, ident)
                errors = hook_deploy.deploy(ctx, hosts)
                return {"status": "complete", **({"deploy_errors": errors} if errors else {})}
            return JSONResponse(await run_in_threadpool(remove))
        body = await _json(request)

        def change() -> dict:
            doc, before = run(ctx, "update_vdsm_hook", vdsm_hooks.change, ident, body)
            with engine.db.read() as conn:
                targets = vdsm_hooks.target_host_ids(Tx(conn, ctx), doc)
            return show(ctx, doc, hook_deploy.deploy(ctx, sorted(set(before) | set(targets))))
        return JSONResponse(await run_in_threadpool(change))

    async def deploy_one(request: Request, ctx: Context) -> Response:
        ident = request.path_params["id"]

        def work() -> dict:
            with engine.db.read() as conn:
                doc = vdsm_hooks.get(conn, ident)
                targets = vdsm_hooks.target_host_ids(Tx(conn, ctx), doc)
            return show(ctx, doc, hook_deploy.deploy(ctx, targets))
        return JSONResponse(await run_in_threadpool(work))

    async def deploy_all(request: Request, ctx: Context) -> Response:
        def work() -> dict:
            with engine.db.read() as conn:
                tx = Tx(conn, ctx)
                hosts = sorted({i for h in vdsm_hooks.all_hooks(conn) for i in vdsm_hooks.target_host_ids(tx, h)})
            errors = hook_deploy.deploy(ctx, hosts)
            return {"status": "complete", **({"deploy_errors": errors} if errors else {})}
        return JSONResponse(await run_in_threadpool(work))

    async def config_list(request: Request, ctx: Context) -> Response:
        name = request.path_params.get("name")

        def work() -> dict:
            with engine.db.read() as conn:
                return {"engine_config": engine_config.entries(conn, name)}
        return JSONResponse(await run_in_threadpool(work))

    async def config_set(request: Request, ctx: Context) -> Response:
        name = request.path_params["name"]
        body = await _json(request)
        if not isinstance(body.get("value"), str):
            raise BadRequest("value is required (text)")
        version = body.get("version")

        def set_it(tx: Tx) -> bool:
            changed = engine_config.set_value(tx.conn, name, body["value"], version)
            if changed:
                tx.event(9606, f"Engine configuration {name}"
                               + (f" for version {version}" if version else "") + f" was set by {tx.who}.")
            return changed

        def work() -> dict:
            changed = run(ctx, "set_engine_config", set_it)
            with engine.db.read() as conn:
                current = engine_config.get(conn, name, version)
            return {"name": name, "version": version or engine_config.GENERAL, "value": current,
                    "changed": changed}
        return JSONResponse(await run_in_threadpool(work))

    return [
        Route(HOOKS, guarded(listing), methods=["GET"]),
        Route(HOOKS, guarded(add), methods=["POST"]),
        Route(f"{HOOKS}/deploy", guarded(deploy_all), methods=["POST"]),
        Route(f"{HOOKS}/{{id}}", guarded(one), methods=["GET", "PUT", "DELETE"]),
        Route(f"{HOOKS}/{{id}}/deploy", guarded(deploy_one), methods=["POST"]),
        Route(CONFIG, guarded(config_list), methods=["GET"]),
        Route(f"{CONFIG}/{{name}}", guarded(config_list), methods=["GET"]),
        Route(f"{CONFIG}/{{name}}", guarded(config_set), methods=["PUT"]),
    ]
