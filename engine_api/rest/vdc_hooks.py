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

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine_api.commands import engine_config, hook_deploy, vdsm_hooks
from engine_api.commands.runner import run
from engine_api.commands.tx import Tx
from engine_api.core.context import Context
from engine_api.core.errors import BadRequest
from engine_api.rest.extension import guarded, json_body

if TYPE_CHECKING:
    from engine_api.engine import Engine

HOOKS = "/ovirt-engine/api/vdc/hooks"
CONFIG = "/ovirt-engine/api/vdc/engineconfig"
MAX_BODY = 2 << 20
WHAT = "VDSM hooks and the engine configuration"


def routes(engine: Engine) -> list[Route]:
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
        body = await json_body(request, MAX_BODY)

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
        body = await json_body(request, MAX_BODY)

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
        body = await json_body(request, MAX_BODY)
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
        Route(HOOKS, guarded(engine, WHAT, listing), methods=["GET"]),
        Route(HOOKS, guarded(engine, WHAT, add), methods=["POST"]),
        Route(f"{HOOKS}/deploy", guarded(engine, WHAT, deploy_all), methods=["POST"]),
        Route(f"{HOOKS}/{{id}}", guarded(engine, WHAT, one), methods=["GET", "PUT", "DELETE"]),
        Route(f"{HOOKS}/{{id}}/deploy", guarded(engine, WHAT, deploy_one), methods=["POST"]),
        Route(CONFIG, guarded(engine, WHAT, config_list), methods=["GET"]),
        Route(f"{CONFIG}/{{name}}", guarded(engine, WHAT, config_list), methods=["GET"]),
        Route(f"{CONFIG}/{{name}}", guarded(engine, WHAT, config_set), methods=["PUT"]),
    ]
