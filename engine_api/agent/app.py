"""The agent's protocol: JSON over mutual TLS (the caller's certificate must come from the engine's CA), every
call but ``/health`` also authenticated by a bearer secret."""

from __future__ import annotations

import hmac
import ssl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from engine_api.agent import hooks, hookstore, leases
from engine_api.agent.driver import Driver
from engine_api.agent.guard import AgentGuard
from engine_api.agent.images import Images
from engine_api.protocol.client import AgentError, call


def create_app(driver: Driver, secret: str, client_tls: ssl.SSLContext | None = None) -> Starlette:
    """``client_tls`` is this agent's own mutual TLS toward another agent (the destination of a migration)."""
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
        except (KeyError, TypeError, ValueError) as e:
            return JSONResponse({"error": f"bad request: {e!r}"}, 400)

    async def body(request: Request) -> dict:
        try:
            data = await request.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise AgentError("the request body must be a JSON object", 400)
        return data

    images = Images(driver)

    async def image_op(request: Request) -> JSONResponse:
        try:
            data = await body(request)
        except AgentError as e:
            return JSONResponse({"error": str(e)}, 400)
        return await handle(request, images.handle, request.path_params["op"], data)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def capabilities(request: Request) -> JSONResponse:
        return await handle(request, driver.capabilities)

    def stats_and_keeper() -> dict:
        if driver.holds is not None and driver.holds.ensure_keeper is not None and driver.holds.any():
            driver.holds.ensure_keeper()  # a lease keeper that died is started again (it resumes every hold)
        return driver.stats()

    async def stats(request: Request) -> JSONResponse:
        return await handle(request, stats_and_keeper)

    async def create_vm(request: Request) -> JSONResponse:
        try:
            spec = await body(request)
        except AgentError as e:
            return JSONResponse({"error": str(e)}, 400)
        return await handle(request, driver.create_vm, spec)

    async def incoming(request: Request) -> JSONResponse:
        data = await request.json()
        return await handle(request, driver.incoming, data.get("xml", ""), bool(data.get("start", True)))

    async def prepare_incoming(request: Request) -> JSONResponse:
        data = await body(request)

        def prepare() -> dict:
            xml = str(data.get("xml", ""))
            changed = driver.prepare_incoming(xml)
            return {"xml": changed if changed != xml else None}

        return await handle(request, prepare)

    def migrate(uuid: str, params: dict) -> dict:
        return driver.migrate_out(uuid, lambda: _migrate(uuid, params))

    def _native(uuid: str, dest: dict, params: dict) -> dict:
        """libvirt's own migration, with the destination agent's hooks before (they may rewrite the
        definition) and after."""
        peer = (dest.get("url") or "").rstrip("/")
        dest_xml = None
        if peer:
            dest_xml = call(peer + "/vms/incoming/prepare", dest["secret"], "POST",
                            {"xml": driver.migratable_xml(uuid)}, context=client_tls).get("xml")
        done = driver.migrate_native(uuid, dest["libvirt_uri"], int(params.get("bandwidth") or 0),
                                     float(params.get("max_time") or 0), dest_xml)
        if peer:
            try:
                lease = driver.holds.path_of(uuid) if driver.holds is not None else None
                call(f"{peer}/vms/{uuid}/migrated", dest["secret"], "POST", {"lease": lease} if lease else {},
                     context=client_tls)  # the destination holds the VM's lease from now on
            except AgentError:
                pass  # the VM runs there; its after hooks are reported by that agent
        return done

    def _migrate(uuid: str, params: dict) -> dict:
        dest = params.get("destination") or {}
        if not driver.test:
            if not dest.get("libvirt_uri"):
                raise AgentError("the destination host reports no migration URI: it cannot receive a live "
                                 "migration", 409)
            return _native(uuid, dest, params)
        # libvirt's test driver cannot migrate: the agents hand the definition over themselves. The destination
        # defines it, this host stops its copy, then the destination starts it (this host runs it again if
        # that fails), so that two copies never run, as in a real handover.
        peer = dest["url"].rstrip("/")
        call(peer + "/vms/incoming", dest["secret"], "POST", {"xml": driver.vm_xml(uuid), "start": False},
             context=client_tls)
        driver.destroy(uuid, undefine=False)
        try:
            call(f"{peer}/vms/{uuid}/start", dest["secret"], "POST", {}, context=client_tls)
        except AgentError:
            driver.start_defined(uuid)
            raise
        driver.destroy(uuid)
        return {"id": uuid, "status": "migrated"}

    async def vm_op(request: Request) -> JSONResponse:
        uuid, op = request.path_params["id"], request.path_params["op"]
        params = await request.json() if await request.body() else {}
        fns = {"destroy": driver.destroy, "shutdown": driver.shutdown, "pause": driver.pause,
               "continue": driver.resume, "hibernate": driver.hibernate, "reboot": driver.reboot,
               "reset": driver.reset, "cancelmigration": driver.cancel_migration, "start": driver.start_defined,
               "migrationstats": driver.migration_stats, "migrated": driver.migrated_in}
        if op == "migrate":
            return await handle(request, migrate, uuid, params)
        if op == "ticket":
            return await handle(request, driver.set_ticket, uuid, params)
        if op == "migrated":
            return await handle(request, driver.migrated_in, uuid, params.get("lease"))
        if op not in fns:
            return JSONResponse({"error": f"unknown operation {op}"}, 404)
        return await handle(request, fns[op], uuid)

    async def lease_status(request: Request) -> JSONResponse:
        """A VM lease as this host reads it on the storage domain (its holder, its age, whether it expired)."""
        data = await body(request)
        return await handle(request, lambda: leases.status(
            leases.lease_path(driver.storage.path(str(data["pool"])), str(data["vm"]))))

    async def list_hooks(request: Request) -> JSONResponse:
        return await handle(request, hooks.installed, driver.hooks_dir)

    async def sync_hooks(request: Request) -> JSONResponse:
        data = await body(request)
        return await handle(request, hookstore.sync, driver.hooks, list(data.get("hooks") or []),
                            data.get("settings") or {})

    async def connect_storage(request: Request) -> JSONResponse:
        return await handle(request, driver.connect_storage, await request.json())

    async def disconnect_storage(request: Request) -> JSONResponse:
        return await handle(request, driver.disconnect_storage, request.path_params["pool"])

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

    async def resize_volume(request: Request) -> JSONResponse:
        data = await request.json()
        pool, vol = request.path_params["pool"], request.path_params["vol"]
        return await handle(request, lambda: driver.resize_volume(pool, vol, int(data["size"])))

    return Starlette(routes=[
        Route("/health", health),
        Route("/capabilities", capabilities),
        Route("/stats", stats),
        Route("/vms", create_vm, methods=["POST"]),
        Route("/vms/incoming", incoming, methods=["POST"]),
        Route("/vms/incoming/prepare", prepare_incoming, methods=["POST"]),
        Route("/vms/{id}/{op}", vm_op, methods=["POST"]),
        Route("/leases/status", lease_status, methods=["POST"]),
        Route("/hooks", list_hooks),
        Route("/hooks/sync", sync_hooks, methods=["POST"]),
        Route("/storage/pools", connect_storage, methods=["POST"]),
        Route("/storage/pools/{pool}", disconnect_storage, methods=["DELETE"]),
        Route("/storage/pools/{pool}/volumes", create_volume, methods=["POST"]),
        Route("/storage/pools/{pool}/volumes/{vol}", remove_volume, methods=["DELETE"]),
        Route("/storage/pools/{pool}/volumes/{vol}/resize", resize_volume, methods=["POST"]),
        Route("/images/{op}", image_op, methods=["POST"]),
    ], middleware=[Middleware(AgentGuard, secret=secret)])  # the credential before the body, bounded JSON
