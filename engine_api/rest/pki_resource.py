"""``GET /ovirt-engine/services/pki-resource``: the engine's CA and certificates, unauthenticated as in oVirt.

``resource`` is ``ca-certificate``, ``qemu-ca-certificate`` (default format ``X509-PEM-CA``) or
``engine-certificate`` (default ``X509-PEM``; ``OPENSSH-PUBKEY`` gives the engine's SSH public key, the one
hosts authorise for deployment).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

if TYPE_CHECKING:
    from engine_api.engine import Engine


CONTENT_TYPES = {"X509-PEM-CA": "application/x-x509-ca-cert", "X509-PEM": "application/x-x509-cert",
                 "OPENSSH-PUBKEY": "text/plain"}
DEFAULT_FORMAT = {"ca-certificate": "X509-PEM-CA", "qemu-ca-certificate": "X509-PEM-CA",
                  "engine-certificate": "X509-PEM"}


def _content(engine: Engine, resource: str, fmt: str) -> bytes | None:
    if fmt == "OPENSSH-PUBKEY":
        return (engine.public_key() + "\n").encode() if resource == "engine-certificate" else None
    if resource == "ca-certificate":
        return engine.pki.ca_pem
    if resource == "qemu-ca-certificate":
        return engine.pki.qemu_ca_pem
    cert, _key = engine.pki.engine_files
    return cert.read_bytes()


async def pki_resource(request: Request) -> Response:
    engine: Engine = request.app.state.engine
    resource = request.query_params.get("resource", "")
    if resource not in DEFAULT_FORMAT:
        return PlainTextResponse(f"unknown resource '{resource}'; known: {', '.join(DEFAULT_FORMAT)}\n", 404)
    fmt = request.query_params.get("format") or DEFAULT_FORMAT[resource]
    if fmt not in CONTENT_TYPES:
        return PlainTextResponse(f"unknown format '{fmt}'; known: {', '.join(CONTENT_TYPES)}\n", 400)
    content = await run_in_threadpool(_content, engine, resource, fmt)
    if content is None:
        return PlainTextResponse(f"format {fmt} is not available for {resource}\n", 400)
    return Response(content, 200, media_type=CONTENT_TYPES[fmt])
