"""A real engine served over HTTP on a free loopback port, for clients that need a socket (ovirtsdk4)."""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from engine_api.engine import Engine
from engine_api.rest.app import create_app

ADMIN_PASSWORD = "vdc-test-password"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class LiveEngine:
    engine: Engine
    url: str  # .../ovirt-engine/api
    server: uvicorn.Server
    thread: threading.Thread
    username: str = "admin@internal"
    password: str = ADMIN_PASSWORD

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.engine.close()


_ranges = iter(range(10, 250))


def lab_address(port: int = 54321) -> str:
    """A loopback /24 of its own for each lab: one whose first address:port nobody listens on yet."""
    worker = os.getpid() % 200 + 20
    for third in _ranges:
        address = f"127.{worker}.{third}.1"
        with socket.socket() as s:
            try:
                s.bind((address, port))
            except OSError:
                continue
        return address
    raise RuntimeError("no free loopback range for a lab")


def start(data_dir: Path, db_url: str | None = None, lab_hosts: int = 0, config: dict | None = None,
          monitor: bool | None = None, lab_hypervisor: str = "test") -> LiveEngine:
    """An engine on a free port; with ``lab_hosts`` its agents listen on a loopback range of their own."""
    engine = Engine(data_dir, db_url, config)
    port = free_port()
    engine.api_url = f"http://127.0.0.1:{port}/ovirt-engine/api"  # before initialise: external units call it
    engine.initialise(ADMIN_PASSWORD)
    if lab_hosts:
        engine.start_lab(lab_hosts, lab_address(), 54321, lab_hypervisor)
    if monitor if monitor is not None else bool(lab_hosts):
        engine.start_monitoring()
    config = uvicorn.Config(create_app(engine), host="127.0.0.1", port=port, log_level="warning",
                            access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("the test engine did not start")
        time.sleep(0.02)
    return LiveEngine(engine, f"http://127.0.0.1:{port}/ovirt-engine/api", server, thread)
