"""``/ovirt-engine/api/vdc/uiplugins``: a vdc extension of the API (JSON) to manage UI plugins.

- ``GET    .../uiplugins``                        the plugins, in load order
- ``POST   .../uiplugins``                        install or replace one from an archive (the request body)
- ``GET    .../uiplugins/{name}``                 one plugin
- ``DELETE .../uiplugins/{name}``                 remove its descriptor, resources and user configuration
- ``PUT    .../uiplugins/{name}/configuration``   replace its user configuration ``{config, enabled, order}``
- ``POST   .../uiplugins/{name}/enable|disable``  set ``enabled`` in its user configuration

Authentication is the API's (SSO bearer token, Basic, or the session cookie); only administrators may call it.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine_api.core.context import Context
from engine_api.rest import extension
from engine_api.rest.extension import Handler
from engine_api.rest.limits import read_body
from engine_api.uiplugins import manage
from engine_api.uiplugins.descriptors import InvalidPlugin
from engine_api.uiplugins.resources import registry_for

if TYPE_CHECKING:
    from engine_api.engine import Engine

BASE = "/ovirt-engine/api/vdc/uiplugins"
MAX_CONFIG = 1 << 20
ERRORS: dict[type[Exception], tuple[int, str]] = {
    InvalidPlugin: (400, "Invalid UI plugin"), manage.Conflict: (409, "Conflict"), manage.Missing: (404, "Not found")}


def routes(engine: Engine) -> list[Route]:
    registry = registry_for(engine)

    def guarded(work: Callable[[Request], Awaitable[Response]]) -> Handler:
        async def with_context(request: Request, _ctx: Context) -> Response:
            return await work(request)
        return extension.guarded(engine, "UI plugins", with_context, ERRORS)

    def doc(plugin) -> dict:
        return manage.describe(registry, plugin)

    async def listing(request: Request) -> Response:
        plugins = await run_in_threadpool(registry.reload)
        return JSONResponse({"ui_plugin": [await run_in_threadpool(doc, p) for p in plugins]})

    async def install(request: Request) -> Response:
        data = await read_body(request, manage.MAX_ARCHIVE)
        bundle = await run_in_threadpool(manage.read_archive, data)
        plugin, created = await run_in_threadpool(manage.install, registry, bundle)
        body = await run_in_threadpool(doc, plugin)
        return JSONResponse(body, 201 if created else 200, {"Location": body["href"]} if created else None)

    async def one(request: Request) -> Response:
        name = request.path_params["name"]
        if request.method == "DELETE":
            await run_in_threadpool(manage.remove, registry, name)
            return JSONResponse({"status": "complete"})
        plugin = await run_in_threadpool(manage.get, registry, name)
        return JSONResponse(await run_in_threadpool(doc, plugin))

    async def configuration(request: Request) -> Response:
        raw = await read_body(request, MAX_CONFIG)
        try:
            body = json.loads(raw or b"{}")
        except ValueError as e:
            raise InvalidPlugin(f"the user configuration is not JSON: {e}") from None
        plugin = await run_in_threadpool(manage.set_user_config, registry, request.path_params["name"], body)
        return JSONResponse(await run_in_threadpool(doc, plugin))

    async def toggle(request: Request) -> Response:
        action = request.path_params["action"]
        if action not in ("enable", "disable"):
            raise manage.Missing(f"UI plugins have no action '{action[:40]}'")
        plugin = await run_in_threadpool(manage.set_enabled, registry, request.path_params["name"],
                                         action == "enable")
        return JSONResponse(await run_in_threadpool(doc, plugin))

    return [
        Route(BASE, guarded(listing), methods=["GET"]),
        Route(BASE, guarded(install), methods=["POST"]),
        Route(f"{BASE}/{{name}}", guarded(one), methods=["GET", "DELETE"]),
        Route(f"{BASE}/{{name}}/configuration", guarded(configuration), methods=["PUT"]),
        Route(f"{BASE}/{{name}}/{{action}}", guarded(toggle), methods=["POST"]),
    ]
