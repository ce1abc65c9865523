"""``vdc-agent``: the host agent (the engine reaches a host only through it)."""

from __future__ import annotations

import argparse
import os
import secrets
import ssl
import sys
from pathlib import Path

import uvicorn

from engine_api.agent.app import create_app
from engine_api.agent.driver import Driver
from engine_api.agent.labswitch import BlockSwitch
from engine_api.agent.leasekeeper import Holds, ensure_running
from engine_api.agent.leases import Timings
from engine_api.protocol.tls import agent_files, client_context, enroll, enroll_libvirt


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="vdc-agent", description="The vdc host agent.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve the agent protocol")
    s.add_argument("--listen", default="0.0.0.0:54321", metavar="HOST:PORT")
    s.add_argument("--libvirt-uri", default="qemu:///system")
    s.add_argument("--migration-uri", help="the libvirt URI other hosts reach this host's hypervisor with for a "
                                           "live migration (default: qemu+tls://LISTEN-HOST/system)")
    s.add_argument("--display-address", default="0.0.0.0", help="the address VM consoles listen on")
    s.add_argument("--create-bridges", action="store_true",
                   help="make a missing bridge a VM NIC names, with no uplink (lab hosts)")
    s.add_argument("--state-dir", required=True)
    s.add_argument("--hook-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="how long a hook script may run before its process group is killed (the engine's "
                        "setting, once it sent one, wins)")
    s.add_argument("--lease-io-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="the lease keeper's I/O timeout N, as sanlock's: leases renewed every 2N, a VM whose lease "
                        "could not be renewed for 8N destroyed, a lease free for another host after 14N")
    s.add_argument("--lease-keeper-exit-with", type=int, metavar="PID",
                   help="the lease keeper stops when this process is gone (lab hosts end with their engine)")
    s.add_argument("--secret-file", help="file holding the credential the engine authenticates with "
                                         "(default: STATE_DIR/secret, created when missing)")
    s.add_argument("--tls-cert", help="this host's certificate (default: STATE_DIR/pki/agent.pem)")
    s.add_argument("--tls-key", help="its key (default: STATE_DIR/pki/agent.key)")
    s.add_argument("--tls-ca", help="the engine's CA certificate; callers must present a certificate it signed "
                                    "(default: STATE_DIR/pki/ca.pem)")
    e = sub.add_parser("enroll", help="make this host's key and print a certificate signing request for the engine")
    e.add_argument("--state-dir", help="the agent's state directory (its key goes to STATE_DIR/pki)")
    e.add_argument("--libvirt-pki", metavar="DIR", help="enroll the hypervisor instead: make libvirt's key under "
                                                        "DIR (laid out as /etc/pki) and print its request")
    args = p.parse_args(argv)
    if args.command == "enroll":
        if not (args.libvirt_pki or args.state_dir):
            p.error("enroll needs --state-dir (the agent) or --libvirt-pki (the hypervisor)")
        request = enroll_libvirt(args.libvirt_pki) if args.libvirt_pki else enroll(args.state_dir)
        sys.stdout.write(request.decode())
        return 0

    host, _, port = args.listen.rpartition(":")
    state = Path(args.state_dir)
    state.mkdir(parents=True, exist_ok=True)
    secret_file = Path(args.secret_file) if args.secret_file else state / "secret"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(32))
        os.chmod(secret_file, 0o600)
    secret = secret_file.read_text().strip()
    files = agent_files(state)
    tls = {"cert": args.tls_cert or files["cert"], "key": args.tls_key or files["key"],
           "ca": args.tls_ca or files["ca"]}
    if missing := [str(path) for path in tls.values() if not Path(path).exists()]:
        print(f"vdc-agent: serves mutual TLS only, and {', '.join(missing)} is missing; the engine enrolls the "
              "host when it deploys the agent ('vdc-agent enroll', then the certificate it signs)", file=sys.stderr)
        return 2

    driver = Driver(args.libvirt_uri, state, migration_uri=args.migration_uri or f"qemu+tls://{host}/system",
                    create_bridges=args.create_bridges, display_address=args.display_address,
                    hook_timeout=args.hook_timeout)
    timings = Timings(args.lease_io_timeout)
    (state / "agent.pid").write_text(str(os.getpid()))

    import threading

    starting = threading.Lock()  # one keeper, however many calls find none running

    def keeper() -> None:  # a process of its own, which outlives this agent while it holds leases
        with starting:
            ensure_running(state, args.libvirt_uri, timings, args.lease_keeper_exit_with)

    driver.holds = Holds(state, timings, keeper)
    if driver.holds.any():  # VMs of this host hold leases: they are renewed from now on, if they were not
        keeper()
    driver.hooks.run_soft("before_vdsm_start")
    print(f"vdc-agent ready on {args.listen} ({args.libvirt_uri})", flush=True)
    client_tls = client_context(tls["ca"], tls["cert"], tls["key"])  # its own certificate toward its peers
    app = BlockSwitch(create_app(driver, secret, client_tls), state)  # a no-op unless a lab blocks the port
    uvicorn.run(app, host=host, port=int(port), log_level="warning",
                access_log=False, ssl_certfile=str(tls["cert"]), ssl_keyfile=str(tls["key"]),
                ssl_ca_certs=str(tls["ca"]), ssl_cert_reqs=ssl.CERT_REQUIRED)
    driver.hooks.run_soft("after_vdsm_stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
