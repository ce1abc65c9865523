"""The agent's protocol: JSON over HTTP(S), every call but ``/health`` authenticated by a bearer secret."""

from __future__ import annotations

import hmac
import json
import urllib.error
import urllib.request

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from engine_api.agent.driver import AgentError, Driver

VM_OPS = {"destroy", "shutdown", "pause", "continue", "migrate"}


def call(url: str, secret: str, method: str = "GET", body: dict | None = None, timeout: float = 30.0) -> dict:
    """One call to an agent (used by agents for migration, and by the engine's broker)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {secret}", "Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        try:
            detail = json.loads(e.read()).get("error", str(e))
        except ValueError:
            detail = str(e)
        raise AgentError(detail, e.code) from None


def create_app(driver: Driver, secret: str) -> Starlette:
    def authorized(request: Request) -> bool:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), secret.encode())

    async def handle(request: Request, fn, *args) -> JSONResponse:
        if not authorized(request):
            return JSONResponse({"error": "not authorized"}, 401)
        try:
            return JSONResponse(await run_in_threadpool(fn, *args))
        except AgentError as e:
            return JSONResponse({"error": str(e)}, e.status)

    async def body(request: Request) -> dict:
        try:
            data = await request.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise AgentError("the request body must be a JSON object", 400)
        return data

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def capabilities(request: Request) -> JSONResponse:
        return await handle(request, driver.capabilities)

    async def stats(request: Request) -> JSONResponse:
        return await handle(request, driver.stats)

    async def create_vm(request: Request) -> JSONResponse:
        try:
            spec = await body(request)
        except AgentError as e:
            return JSONResponse({"error": str(e)}, 400)
        return await handle(request, driver.create_vm, spec)

    async def incoming(request: Request) -> JSONResponse:
        data = await request.json()
        return await handle(request, driver.incoming, data.get("xml", ""))

    def migrate(uuid: str, params: dict) -> dict:
        dest = params.get("destination") or {}
        if not driver.test and dest.get("libvirt_uri"):
            return driver.migrate_native(uuid, dest["libvirt_uri"])
        xml = driver.vm_xml(uuid)
        call(dest["url"].rstrip("/") + "/vms/incoming", dest["secret"], "POST", {"xml": xml})
        driver.destroy(uuid)
        return {"id": uuid, "status": "migrated"}

    async def vm_op(request: Request) -> JSONResponse:
        uuid, op = request.path_params["id"], request.path_params["op"]
        params = await request.json() if await request.body() else {}
        fns = {"destroy": driver.destroy, "shutdown": driver.shutdown, "pause": driver.pause,
               "continue": driver.resume}
        if op == "migrate":
            return await handle(request, migrate, uuid, params)
        if op not in fns:
            return JSONResponse({"error": f"unknown operation {op}"}, 404)
        return await handle(request, fns[op], uuid)

    async def connect_storage(request: Request) -> JSONResponse:
        return await handle(request, driver.connect_storage, await request.json())

    async def create_volume(request: Request) -> JSONResponse:
        data = await request.json()
        pool = request.path_params["pool"]

        def create() -> dict:
            path = driver.ensure_volume(pool, data["id"], int(data["size"]), data.get("format", "cow"),
                                        bool(data.get("sparse", True)))
            return {"id": data["id"], "path": path}

        return await handle(request, create)

    async def remove_volume(request: Request) -> JSONResponse:
        return await handle(request, driver.remove_volume, request.path_params["pool"], request.path_params["vol"])

    return Starlette(routes=[
        Route("/health", health),
        Route("/capabilities", capabilities),
        Route("/stats", stats),
        Route("/vms", create_vm, methods=["POST"]),
        Route("/vms/incoming", incoming, methods=["POST"]),
        Route("/vms/{id}/{op}", vm_op, methods=["POST"]),
        Route("/storage/pools", connect_storage, methods=["POST"]),
        Route("/storage/pools/{pool}/volumes", create_volume, methods=["POST"]),
        Route("/storage/pools/{pool}/volumes/{vol}", remove_volume, methods=["DELETE"]),
    ])
