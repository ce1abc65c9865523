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

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine_api.commands import external_runtime, external_units
from engine_api.core.context import Context
from engine_api.rest.extension import guarded, json_body

if TYPE_CHECKING:
    from engine_api.engine import Engine

PLUGINS = "/ovirt-engine/api/vdc/schedulerplugins"
MAX_BODY = 1 << 20
WHAT = "scheduler plugins"


def routes(engine: Engine) -> list[Route]:
    async def listing(request: Request, ctx: Context) -> Response:
        def work() -> dict:
            with engine.db.read() as conn:
                return {"scheduler_plugin": external_units.plugins(conn)}
        return JSONResponse(await run_in_threadpool(work))

    async def add(request: Request, ctx: Context) -> Response:
        body = await json_body(request, MAX_BODY)
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
        body = await json_body(request, MAX_BODY)
        return JSONResponse(await run_in_threadpool(external_units.update, ctx, ident, body))

    return [
        Route(PLUGINS, guarded(engine, WHAT, listing), methods=["GET"]),
        Route(PLUGINS, guarded(engine, WHAT, add), methods=["POST"]),
        Route(f"{PLUGINS}/sandbox", guarded(engine, WHAT, sandbox), methods=["GET"]),
        Route(f"{PLUGINS}/{{id}}", guarded(engine, WHAT, one), methods=["GET", "PUT", "DELETE"]),
    ]
