"""Routes of the administration portal: the host page, its assets and the plugins' resources.

The host page re-reads the plugin descriptors on every load (as oVirt's host page servlet does), so a plugin
installed, reconfigured or removed shows at the next page load without restarting the engine.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from engine_api.rest import typed_members
from engine_api.uiplugins import api as uiplugins_api
from engine_api.uiplugins.resources import find_resource, registry_for

if TYPE_CHECKING:
    from engine_api.engine import Engine

BASE = "/ovirt-engine/webadmin"
STATIC = Path(__file__).parent / "static"
ASSETS = ("portal.css", "portal.js", "plugins.js")
_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


@cache
def _asset(name: str) -> tuple[bytes, str]:
    """An asset's bytes and a short digest of them (the host page asks for ``name?v=<digest>``)."""
    data = (STATIC / name).read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:12]


def _embed(value: object) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(value, separators=(",", ":")).replace("<", "\\u003c").replace(">", "\\u003e") \
        .replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def host_page(engine: Engine) -> bytes:
    definitions = [p.definition() for p in registry_for(engine).reload()]
    page = (STATIC / "index.html").read_text()
    for name in ASSETS:
        page = page.replace(f"{{{{{name}}}}}", f"{BASE}/assets/{name}?v={_asset(name)[1]}")
    page = page.replace("{{wireTypes}}", _wire_types())
    return page.replace("{{pluginDefinitions}}", _embed(definitions)).encode()


@cache
def _wire_types() -> str:
    """The table the portal reads the API's JSON back by (integers and booleans come as strings)."""
    return _embed({"types": typed_members.types(), "collections": typed_members.collections()})


def routes(engine: Engine) -> list[Route]:
    async def page(request: Request) -> Response:
        body = await run_in_threadpool(host_page, engine)
        etag = '"' + hashlib.md5(body, usedforsecurity=False).hexdigest() + '"'
        headers = {**_HEADERS, "ETag": etag, "X-Frame-Options": "SAMEORIGIN"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(body, 200, headers, "text/html; charset=utf-8")

    async def to_page(request: Request) -> Response:
        return RedirectResponse(f"{BASE}/", 302)

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return Response(b"not found", 404, _HEADERS, "text/plain")
        data, _ = _asset(name)
        return Response(data, 200, _HEADERS, _TYPES[Path(name).suffix])

    async def plugin_resource(request: Request) -> Response:
        name, path = request.path_params["name"], request.path_params["path"]
        target = await run_in_threadpool(find_resource, registry_for(engine), name, path)
        if target is None:
            return Response(b"not found", 404, _HEADERS, "text/plain")
        data = await run_in_threadpool(target.read_bytes)
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        return Response(data, 200, _HEADERS, kind)

    return [
        Route(BASE, to_page, methods=["GET"]),
        Route(f"{BASE}/", page, methods=["GET"]),
        Route(f"{BASE}/assets/{{name}}", asset, methods=["GET"]),
        Route(f"{BASE}/plugin/{{name}}/{{path:path}}", plugin_resource, methods=["GET"]),
        *uiplugins_api.routes(engine),
    ]
