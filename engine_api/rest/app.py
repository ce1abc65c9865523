"""The ASGI application: SSO endpoints and the API, with auth, version, correlation id and codecs."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine_api.auth.tokens import LoginFailed, NoLoginPermit, TooManyAttempts
from engine_api.core.context import Context
from engine_api.core.errors import Fault, MethodNotAllowed, NotAuthenticated
from engine_api.rest import codec, credentials, describe
from engine_api.rest.dispatch import Awaiting, dispatch
from engine_api.rest.limits import BodyIncomplete, BodyTooLarge, read_body
from engine_api.rest.pki_resource import pki_resource
from engine_api.rest.read_only import ReadOnlyTokens
from engine_api.rest.root import build_registries
from engine_api.rest.vdc_hooks import routes as vdc_hooks_routes
from engine_api.rest.vdc_scheduler import routes as vdc_scheduler_routes
from engine_api.webadmin.routes import routes as webadmin_routes

if TYPE_CHECKING:
    from engine_api.engine import Engine

log = logging.getLogger(__name__)
XML = "application/xml"
JSON = "application/json"
_CORRELATION = re.compile(r"[^0-9a-zA-Z_-]")
_VERSION_PREFIX = re.compile(r"^/v(\d+)(?=/|$)")
MAX_QUERY = 64 << 10  # characters of a query string (a search is bounded lower still)


def _one_line(e: BaseException) -> str:
    """An unexpected failure in one log line: its type, its first line (bounded) and where it was raised;
    never a database statement with its parameters."""
    orig = getattr(e, "orig", None)  # a database error: the driver's message, without the statement
    text = str(orig if orig is not None else e).strip().splitlines()
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f" at {tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}" if tb else ""
    return f"{type(e).__name__}{where}: {(text[0] if text else '')[:200]}"


def _fault_body(fault: Fault, as_json: bool, action: bool = False) -> bytes:
    doc: dict[str, Any] = {"reason": fault.reason, "detail": f"[{fault.detail}]"}
    if action:
        return (codec.to_json if as_json else codec.to_xml)("action", {"fault": doc, "status": "failed"})
    return (codec.to_json if as_json else codec.to_xml)("fault", doc)


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return JSON in accept and XML not in accept.split(JSON)[0]


_PRODUCED = frozenset({"*/*", "application/*", "text/*", XML, "text/xml", JSON})


def _acceptable(request: Request, path: str, params: dict[str, str]) -> bool:
    """Whether the request accepts XML or JSON, which the API produces (the self-description documents choose
    their own types)."""
    accept = request.headers.get("accept", "").strip()
    if not accept or "rsdl" in params or "schema" in params or path.strip("/") in describe.DOCUMENTS:
        return True
    return any(part.split(";")[0].strip().lower() in _PRODUCED for part in accept.split(","))


def _correlation_id(request: Request, params: dict[str, str]) -> str:
    raw = request.headers.get("correlation-id") or params.get("correlation_id") or ""
    cid = _CORRELATION.sub("", raw)[:36]
    return cid or str(uuid.uuid4())


class Api:
    def __init__(self, engine: Engine):
        self.engine = engine

    async def handle(self, request: Request) -> Response:
        path = "/" + request.path_params.get("path", "")
        query = request.url.query
        params = dict(parse_qsl(query if len(query) <= MAX_QUERY else "", keep_blank_values=True))
        if "filter" not in params and (header := request.headers.get("filter")) is not None:
            params["filter"] = header  # oVirt reads the Filter header as the filter parameter
        as_json = _wants_json(request)
        cid = _correlation_id(request, params)
        headers = {"Correlation-Id": cid}
        media = JSON if as_json else XML
        try:
            if m := _VERSION_PREFIX.match(path):
                version, path = m.group(1), path[m.end():]
            else:
                version = request.headers.get("version", "4").strip() or "4"
            if len(query) > MAX_QUERY:
                raise Fault(f"the query string of {len(query)} characters is over the limit of {MAX_QUERY}",
                            "Invalid value")
            if version != "4":
                raise Fault(f"API version {version} is not supported; this engine speaks version 4",
                            "Unsupported API version")
            prefer = request.headers.get("prefer", "").lower()
            try:
                user, cookie = credentials.caller(self.engine, request, prefer)
            except NotAuthenticated as e:
                headers["WWW-Authenticate"] = 'Basic realm="RESTAPI"'
                return Response(_fault_body(e, as_json), 401, headers, media)
            except TooManyAttempts as e:
                headers["Retry-After"] = str(max(1, round(e.retry_after)))
                return Response(_fault_body(Fault(str(e), "Too many requests"), as_json), 429, headers, media)
            if cookie:
                headers["Set-Cookie"] = f"JSESSIONID={cookie}; Path=/ovirt-engine/api; HttpOnly"
            try:
                body = await read_body(request, codec.MAX_BODY)
            except BodyTooLarge as e:
                fault = Fault(str(e), "Request entity too large")
                headers["Connection"] = "close"  # the rest of the body is not read
                return Response(_fault_body(fault, as_json), 413, headers, media)
            if not _acceptable(request, path, params):
                fault = Fault(f"the API answers in {XML} or {JSON}, not in "
                              f"'{request.headers.get('accept', '')[:100]}'", "Not Acceptable")
                return Response(_fault_body(fault, False), 406, headers, XML)
            expect = request.headers.get("expect") or request.headers.get("x-ovirt-expect") or ""
            ctx = Context(self.engine, user, cid, params, blocking="201-created" in expect.lower())
            body_json = "json" in request.headers.get("content-type", "")
            result = await run_in_threadpool(dispatch, ctx, request.method, path, body, body_json, as_json)
            while isinstance(result, Awaiting):  # no thread is held while the storage tasks run
                await asyncio.wait([asyncio.wrap_future(task) for task in result.tasks])
                result = await run_in_threadpool(result.then)
            status, payload, extra = result
            headers.update(extra)
            return Response(payload, status, headers, media)
        except codec.CodecError as e:
            fault = Fault(str(e), "Request syntactically incorrect.")
            fault.status = 400
            return Response(_fault_body(fault, as_json), 400, headers, media)
        except Fault as e:
            status = 400 if type(e) is Fault else e.status
            if isinstance(e, MethodNotAllowed):
                headers["Allow"] = ", ".join(e.allow)
            return Response(_fault_body(e, as_json, getattr(e, "action", False)), status, headers, media)
        except BodyIncomplete:
            return Response(b"", 400, headers, media)
        except Exception as e:  # a bug of ours still answers with a fault the SDK can read
            log.error("request %s %r failed (correlation id %s): %s", request.method, path[:200], cid,
                      _one_line(e))
            fault = Fault(f"internal error; the engine log has the details (correlation id {cid})",
                          "Internal server error")
            return Response(_fault_body(fault, as_json), 500, headers, media)


SSO_MAX_BODY = 64 << 10  # a login form is a few hundred bytes


async def _sso_form(request: Request) -> dict[str, str] | JSONResponse:
    """The form of an SSO request, read by the bytes that arrive; an answer instead when it is too large."""
    try:
        body = await read_body(request, SSO_MAX_BODY)
    except BodyTooLarge as e:
        return JSONResponse({"error_code": "invalid_request", "error": str(e)}, 413, {"Connection": "close"})
    except BodyIncomplete:
        return JSONResponse({"error_code": "invalid_request", "error": "the request body ended early"}, 400)
    try:
        return dict(parse_qsl(body.decode(errors="replace"), max_num_fields=100))
    except ValueError:
        return JSONResponse({"error_code": "invalid_request", "error": "the form has too many fields"}, 400)


async def sso_token(request: Request) -> Response:
    engine: Engine = request.app.state.engine
    form = await _sso_form(request)
    if isinstance(form, Response):
        return form
    form.update({k: v for k, v in request.query_params.items() if k not in form})
    if form.get("grant_type") != "password":
        return JSONResponse({"error": "unsupported_grant_type",
                             "error_description": "grant_type must be 'password'"}, 400)
    name, password = form.get("username", ""), form.get("password", "")
    if not name or not password:
        return JSONResponse({"error_code": "invalid_request", "error": "username and password are required"}, 400)
    try:
        user = await run_in_threadpool(engine.auth.authenticate, name, password, credentials.client_address(request))
    except TooManyAttempts as e:
        return JSONResponse({"error_code": "access_denied", "error": f"Cannot authenticate user: {e}."}, 429,
                            {"Retry-After": str(max(1, round(e.retry_after)))})
    except LoginFailed as e:  # no LOGIN anywhere is a 401, as oVirt's login answers it
        return JSONResponse({"error_code": "access_denied", "error": f"{e}."},
                            401 if isinstance(e, NoLoginPermit) else 400)
    token, expires = await run_in_threadpool(engine.auth.issue, user)
    return JSONResponse({"access_token": token, "scope": form.get("scope", "ovirt-app-api"),
                         "exp": str(int(expires * 1000)), "token_type": "bearer"})


async def sso_logout(request: Request) -> Response:
    engine: Engine = request.app.state.engine
    form = await _sso_form(request)
    if isinstance(form, Response):
        return form
    token = form.get("token") or request.query_params.get("token")
    if token:
        await run_in_threadpool(engine.auth.revoke, token)
    return JSONResponse({})


def create_app(engine: Engine) -> Starlette:
    build_registries()  # the collection tree and vdc's wire types, before any route reads them
    api = Api(engine)
    methods = ["GET", "POST", "PUT", "DELETE"]
    routes = [
        Route("/ovirt-engine/sso/oauth/token", sso_token, methods=["POST"]),
        Route("/ovirt-engine/services/sso-logout", sso_logout, methods=["POST", "GET"]),
        Route("/ovirt-engine/sso/oauth/revoke", sso_logout, methods=["POST"]),
        Route("/ovirt-engine/services/pki-resource", pki_resource, methods=["GET"]),
        *webadmin_routes(engine),  # the portal, plugin resources and the UI plugin API (before the API)
        *vdc_hooks_routes(engine),  # managed VDSM hooks and the engine configuration (before the API)
        *vdc_scheduler_routes(engine),  # external scheduling units (before the API)
        Route("/ovirt-engine/api", api.handle, methods=methods),
        Route("/ovirt-engine/api/{path:path}", api.handle, methods=methods),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(ReadOnlyTokens, engine=engine)  # external scheduling units' tokens: GET only
    app.state.engine = engine
    return app
