"""The host agent checks the caller's credential before it reads a byte of the body, and answers a body that
is not a JSON object (``{bad``), too large or too deep with a 4xx, never a 500."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from engine_api.agent.app import create_app
from engine_api.agent.driver import Driver
from engine_api.agent.guard import MAX_BODY
from tests.live import free_port

SECRET = "agent-guard-secret"


@pytest.fixture(scope="module")
def agent(tmp_path_factory) -> Iterator[str]:
    driver = Driver("test:///default", tmp_path_factory.mktemp("agent"))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(driver, SECRET), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        assert time.time() < deadline and thread.is_alive(), "the agent did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


AUTH = {"Authorization": f"Bearer {SECRET}", "Content-Type": "application/json"}
ROUTES = ["/vms", "/vms/incoming", "/vms/some-id/destroy", "/vms/some-id/migrate", "/storage/pools",
          "/storage/pools/p/volumes", "/storage/pools/p/volumes/v/resize"]


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("body", [b"{bad", b"[1, 2]", b'"text"', b"\xff\xfe", b"[" * 5000 + b"]" * 5000, b"null"])
def test_bad_bodies_are_4xx(agent: str, path: str, body: bytes) -> None:
    r = httpx.post(agent + path, content=body, headers=AUTH, timeout=10)
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:200])
    assert "error" in r.json()


def test_oversized_body_is_413(agent: str) -> None:
    r = httpx.post(agent + "/vms", content=b'{"x": "' + b"a" * MAX_BODY + b'"}', headers=AUTH, timeout=30)
    assert r.status_code == 413


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {SECRET}"}])
def test_no_credential_is_401_before_the_body_is_read(agent: str, headers: dict) -> None:
    """A raw socket sends the headers of a 100 MB body and no body: the 401 comes at once."""
    host, port = agent.removeprefix("http://").split(":")
    lines = [b"POST /vms HTTP/1.1", b"Host: agent", b"Content-Type: application/json",
             b"Content-Length: 104857600"] + [f"{k}: {v}".encode() for k, v in headers.items()]
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"\r\n".join(lines) + b"\r\n\r\n{")
        answer = s.recv(4096)
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]


def test_health_needs_no_credential_and_good_calls_still_work(agent: str) -> None:
    assert httpx.get(agent + "/health", timeout=10).json() == {"status": "ok"}
    r = httpx.get(agent + "/capabilities", headers=AUTH, timeout=10)
    assert r.status_code == 200 and "cpu" in r.json()
    r = httpx.post(agent + "/vms/missing-vm/destroy", content=b"{}", headers=AUTH, timeout=10)
    assert r.status_code < 500, r.text
