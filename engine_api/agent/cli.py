"""``vdc-agent``: the host agent (the engine reaches a host only through it)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import sys
from pathlib import Path

import uvicorn


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="vdc-agent", description="The vdc host agent.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve the agent protocol")
    s.add_argument("--listen", default="0.0.0.0:54321", metavar="HOST:PORT")
    s.add_argument("--libvirt-uri", default="qemu:///system")
    s.add_argument("--state-dir", required=True)
    s.add_argument("--secret-file", help="file holding the credential the engine authenticates with "
                                         "(default: STATE_DIR/secret, created when missing)")
    s.add_argument("--tls-cert")
    s.add_argument("--tls-key")
    args = p.parse_args(argv)

    host, _, port = args.listen.rpartition(":")
    state = Path(args.state_dir)
    state.mkdir(parents=True, exist_ok=True)
    secret_file = Path(args.secret_file) if args.secret_file else state / "secret"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(32))
        os.chmod(secret_file, 0o600)
    secret = secret_file.read_text().strip()
    try:
        loopback = ipaddress.ip_address(host or "127.0.0.1").is_loopback
    except ValueError:  # a host name, as the engine deploys with when a host was added by name
        loopback = host == "localhost"
    if not args.tls_cert and not loopback:
        print("vdc-agent: plain HTTP is allowed on loopback only; give --tls-cert and --tls-key", file=sys.stderr)
        return 2

    from engine_api.agent.app import create_app
    from engine_api.agent.driver import Driver

    driver = Driver(args.libvirt_uri, state)
    (state / "agent.pid").write_text(str(os.getpid()))
    print(f"vdc-agent ready on {args.listen} ({args.libvirt_uri})", flush=True)
    uvicorn.run(create_app(driver, secret), host=host, port=int(port), log_level="warning", access_log=False,
                ssl_certfile=args.tls_cert, ssl_keyfile=args.tls_key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
