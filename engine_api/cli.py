"""``vdc-engine``: serve the API (optionally with lab hosts)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import ssl
import sys
import threading
import time
import urllib.request

import uvicorn
from sqlalchemy import select

from engine_api.auth.cli import add_parsers as add_aaa
from engine_api.auth.cli import run as run_aaa
from engine_api.config_cli import add_parser as add_config
from engine_api.config_cli import run as run_config
from engine_api.engine import Engine
from engine_api.rest.app import create_app
from engine_api.store.schema import settings


def _listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got '{value}'")
    return host, int(port)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vdc-engine", description="The vdc engine: an oVirt REST API v4 service.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve the API")
    s.add_argument("--listen", type=_listen, default=("127.0.0.1", 8080), metavar="HOST:PORT")
    s.add_argument("--data-dir", required=True, help="where the engine keeps its database and configuration")
    s.add_argument("--db", help="database URL (default: SQLite in the data directory), "
                                "e.g. postgresql+psycopg://user@127.0.0.1/vdc")
    s.add_argument("--pki-dir", help="the engine's CA and certificates (default: pki/ in the data directory); "
                   "engines sharing one database must share it")
    s.add_argument("--lab-hosts", type=int, default=0, metavar="N", help="start N local host agents")
    s.add_argument("--lab-address", default="127.0.1.1", help="address of the first lab host")
    s.add_argument("--lab-port", type=int, default=54321, help="port of every lab host agent")
    s.add_argument("--lab-hypervisor", choices=("test", "qemu"), default="test",
                   help="what lab hosts run VMs with: libvirt's test driver, or real QEMU (a libvirtd per host)")
    s.add_argument("--tls", action="store_true", help="serve HTTPS with a certificate from the engine's CA naming "
                   "the listen address (clients trust the CA served at /ovirt-engine/services/pki-resource)")
    s.add_argument("--log-level", default="warning")
    add_config(sub)
    add_aaa(sub)  # user, group, group-manage: the internal domain
    return p


def _announce_when_ready(url: str, generated: str | None, stop: threading.Event,
                         context: ssl.SSLContext | None = None) -> None:
    while not stop.is_set():
        try:
            with urllib.request.urlopen(url, timeout=1, context=context) as _:
                pass
        except urllib.error.HTTPError as e:
            if e.code != 401:
                time.sleep(0.1)
                continue
        except OSError:
            time.sleep(0.1)
            continue
        if generated:
            print(f"admin@internal password (generated, shown once): {generated}", flush=True)
        print(f"vdc engine ready: {url}", flush=True)
        return


def serve(args: argparse.Namespace) -> int:
    lab = args.lab_hosts > 0
    if problem := _unbindable(*args.listen):  # before anything starts: 'ready' must never name another server
        print(f"vdc-engine: cannot listen on {args.listen[0]}:{args.listen[1]}: {problem}", file=sys.stderr)
        return 2
    password = os.environ.get("VDC_ADMIN_PASSWORD")
    engine = Engine(args.data_dir, args.db, {"pki_dir": args.pki_dir} if args.pki_dir else None)
    engine.api_url = f"{'https' if args.tls else 'http'}://{args.listen[0]}:{args.listen[1]}/ovirt-engine/api"
    if not password and not lab and engine_is_new(engine):
        print("vdc-engine: set VDC_ADMIN_PASSWORD for the first start (or use --lab-hosts)", file=sys.stderr)
        return 2
    generated = engine.initialise(password)
    if lab:
        engine.start_lab(args.lab_hosts, args.lab_address, args.lab_port, args.lab_hypervisor)
    engine.start_monitoring()
    host, port = args.listen
    url = f"{'https' if args.tls else 'http'}://{host}:{port}/ovirt-engine/api"
    tls: dict = {}
    probe = None
    if args.tls:
        cert, key = engine.pki.engine_certificate(_certificate_names(host))
        tls = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
        probe = ssl.create_default_context(cafile=str(engine.pki.ca_file))
        probe.check_hostname = False  # a readiness probe of our own socket (the listen address may be 0.0.0.0)
    stop = threading.Event()
    threading.Thread(target=_announce_when_ready, args=(url, generated, stop, probe), daemon=True).start()
    config = uvicorn.Config(create_app(engine), host=host, port=port, log_level=args.log_level,
                            access_log=False, lifespan="off", **tls)
    # uvicorn stops gracefully on SIGTERM and then raises the signal again: let that end as an exception, so that
    # the engine still closes (its lab hosts stopped, their bridges removed) before the process exits
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        uvicorn.Server(config).run()
    finally:
        stop.set()
        engine.close()
    return 0


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _unbindable(host: str, port: int) -> str | None:
    """Why the listen address cannot be bound (another server holds it), or None."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as e:
        return str(e)
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            s.bind(address)
        except OSError as e:
            return e.strerror or str(e)
    return None


def _certificate_names(host: str) -> list[str]:
    """The listen address, unless it is a wildcard (the certificate names this machine's names anyway)."""
    try:
        return [] if ipaddress.ip_address(host).is_unspecified else [host]
    except ValueError:
        return [host]


def engine_is_new(engine: Engine) -> bool:
    with engine.db.read() as conn:
        return conn.execute(select(settings.c.key).where(settings.c.key == "instance_id")).first() is None


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "config":
        return run_config(args)
    if args.command in ("user", "group", "group-manage"):
        return run_aaa(args)
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
