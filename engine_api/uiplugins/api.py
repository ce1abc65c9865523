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

import base64
import json
from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine_api.auth.tokens import TooManyAttempts
from engine_api.commands.context import User
from engine_api.engine import Engine
from engine_api.rest.limits import BodyIncomplete, BodyTooLarge, read_body
from engine_api.uiplugins import manage
from engine_api.uiplugins.descriptors import InvalidPlugin
from engine_api.uiplugins.resources import registry_for

BASE = "/ovirt-engine/api/vdc/uiplugins"
MAX_CONFIG = 1 << 20


class _Denied(Exception):
    def __init__(self, status: int, reason: str, detail: str):
        self.status, self.reason, self.detail = status, reason, detail


def _fault(status: int, reason: str, detail: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"reason": reason, "detail": f"[{detail}]"}, status, headers)


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
            raise _Denied(401, "Unauthorized", "malformed Basic credentials") from None
        client = request.client.host if request.client else ""
        try:
            user = auth.check_password(name, password, client)
        except TooManyAttempts as e:
            raise _Denied(429, "Too many requests", str(e)) from None
    elif session := request.cookies.get("JSESSIONID"):
        user = auth.resolve(session)
    if user is None:
        raise _Denied(401, "Unauthorized", "authentication is required")
    if not user.admin:
        raise _Denied(403, "Forbidden", "only an administrator may manage UI plugins")
    return user


Handler = Callable[[Request], Awaitable[Response]]


def routes(engine: Engine) -> list[Route]:
    registry = registry_for(engine)

    def guarded(work: Callable[[Request], Awaitable[Response]]) -> Handler:
        async def handle(request: Request) -> Response:
            try:
                await run_in_threadpool(_user, engine, request)
                return await work(request)
            except _Denied as e:
                headers = {"WWW-Authenticate": 'Basic realm="RESTAPI"'} if e.status == 401 else None
                return _fault(e.status, e.reason, e.detail, headers)
            except BodyTooLarge as e:
                return _fault(413, "Request entity too large", str(e))
            except BodyIncomplete:
                return _fault(400, "Bad request", "the request body ended early")
            except InvalidPlugin as e:
                return _fault(400, "Invalid UI plugin", str(e))
            except manage.Conflict as e:
                return _fault(409, "Conflict", str(e))
            except manage.Missing as e:
                return _fault(404, "Not found", str(e))
        return handle

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
