"""Benchmark the engine with lab hosts: VM starts per second, and the time to recover from a dead host.

Run with ``make bench`` (``.venv/bin/python benchmarks/hosts.py``). The script

1. starts ``python -m engine_api serve --lab-hosts 10`` as a separate process on a free loopback port, with a
   fresh SQLite data directory whose ``config.json`` sets the monitoring figures (``monitor_interval`` 1 s and
   ``non_responsive_timeout`` 30 s unless told otherwise), and waits for its "ready" line;
2. adds the 10 lab hosts through the API (ovirtsdk4) and waits until all are up, then adds 200 highly
   available VMs (512 MiB each, no disks);
3. starts the 200 VMs through the API from 8 client threads and measures, from the first start request
   until all 200 are ``up``, the VMs started per second (and the start request latencies);
4. kills the agent of the host that runs the most VMs (``kill -9``: a host that vanished) and measures the time
   until the host is ``non_responsive`` (detection) and until all its VMs are ``up`` on other hosts (total). The
   VMs hold no lease and a lab host cannot be fenced, so the engine restarts them only once the host is
   confirmed rebooted (oVirt's manual fence), which the script does as soon as the host is non responsive;
   every restarted VM is checked in its new host agent's own report;
5. prints a table and writes ``benchmarks/hosts_results.json``.

It is a report: the exit status is 0 whatever the figures, and 1 only when the engine fails (does not start,
dies, answers with an error, or a VM never comes up). Not a pytest module: the suite runs ``pytest tests`` only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ovirtsdk4 as sdk
import ovirtsdk4.types as t
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import finish, free_port, p95  # noqa: E402 - beside this script

from engine_api.protocol.client import call  # noqa: E402 - after the path fix, for a run from anywhere
from engine_api.protocol.tls import client_context  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "hosts_results.json"
PASSWORD = "vdc-bench-password"
MiB = 1 << 20
console = Console(width=None if sys.stdout.isatty() else 120)


class EngineFailure(RuntimeError):
    """The engine did not start, died, or failed a request: the benchmark cannot go on."""


def lab_range(count: int) -> tuple[str, int]:
    """A first loopback address and a port free on ``count`` consecutive addresses from it."""
    for second in range(200, 250):
        first = ipaddress.ip_address(f"127.{second}.{os.getpid() % 250}.1")
        port = free_port(str(first))
        try:
            for i in range(count):
                with socket.socket() as s:
                    s.bind((str(first + i), port))
        except OSError:
            continue
        return str(first), port
    raise EngineFailure("no free loopback range for the lab hosts")


def wait(fn, cond, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if cond(value):
            return value
        if time.monotonic() > deadline:
            raise EngineFailure(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Engine:
    """The engine process, with its lab agents (its children)."""

    def __init__(self, data_dir: Path, hosts: int, config: dict, hypervisor: str = "test"):
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
        self.port = free_port()
        self.lab_address, self.lab_port = lab_range(hosts)
        self.log_path = data_dir / "engine.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        cmd = [sys.executable, "-m", "engine_api", "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir",
               str(data_dir), "--lab-hosts", str(hosts), "--lab-address", self.lab_address, "--lab-port",
               str(self.lab_port), "--lab-hypervisor", hypervisor]
        env = dict(os.environ, VDC_ADMIN_PASSWORD=PASSWORD, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=self._log,
                                     start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}/ovirt-engine/api"

    def wait_ready(self, timeout: float = 120.0) -> None:
        found = threading.Event()

        def reader() -> None:
            for raw in self.proc.stdout:
                if b"ready" in raw:
                    found.set()

        threading.Thread(target=reader, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not found.wait(0.1):
            self.check_alive()
            if time.monotonic() > deadline:
                raise EngineFailure(f"the engine was not ready after {timeout:.0f} s\n{self.log_tail()}")

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise EngineFailure(f"the engine exited with status {self.proc.returncode}\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def address(self, i: int) -> str:
        return str(ipaddress.ip_address(self.lab_address) + i)

    def agent_pid(self, i: int) -> int:
        return int((self.data_dir / "lab" / f"host{i + 1}" / "agent.pid").read_text())

    def agent_vms(self, address: str) -> dict[str, str]:
        secret = (self.data_dir / "agent.secret").read_text().strip()
        pki = self.data_dir / "pki"  # agents answer only a client certificate from the engine's CA
        tls = client_context(pki / "ca.pem", pki / "engine.pem", pki / "engine.key")
        stats = call(f"https://{address}:{self.lab_port}/stats", secret, timeout=10, context=tls)
        return {v["id"]: v["status"] for v in stats["vms"] if v["status"] != "down"}

    def connect(self) -> sdk.Connection:
        return sdk.Connection(url=self.url, username="admin@internal", password=PASSWORD, timeout=120)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # the engine stops its lab agents on the way out
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def statuses(conn: sdk.Connection) -> dict[str, t.Vm]:
    return {vm.id: vm for vm in conn.system_service().vms_service().list()}


def run(args: argparse.Namespace) -> dict:
    config = {"monitor_interval": args.monitor_interval, "non_responsive_timeout": args.non_responsive_timeout}
    with tempfile.TemporaryDirectory(prefix="vdc-bench-hosts-") as tmp:
        engine = Engine(Path(tmp) / "data", args.hosts, config)
        try:
            engine.wait_ready()
            return measure(engine, args, config)
        finally:
            engine.stop()


def measure(engine: Engine, args: argparse.Namespace, config: dict) -> dict:
    began = time.monotonic()
    conn = engine.connect()
    system = conn.system_service()
    hosts = system.hosts_service()
    console.print(f"adding {args.hosts} lab hosts and {args.vms} highly available VMs ...")
    host_ids = [hosts.add(t.Host(name=f"bench{i + 1:02d}", address=engine.address(i), port=engine.lab_port,
                                 cluster=t.Cluster(name="Default"))).id for i in range(args.hosts)]
    wait(lambda: {h.id: h.status for h in hosts.list()},
         lambda s: all(s.get(h) == t.HostStatus.UP for h in host_ids), 120, "all hosts up")
    memory = args.vm_memory_mib * MiB
    vm_ids = [system.vms_service().add(t.Vm(
        name=f"bench-vm-{i:04d}", cluster=t.Cluster(name="Default"), template=t.Template(name="Blank"),
        memory=memory, memory_policy=t.MemoryPolicy(guaranteed=memory, max=memory),
        high_availability=t.HighAvailability(enabled=True, priority=1))).id for i in range(args.vms)]

    # ---- starts: from the first request until every VM is up
    console.print(f"starting {args.vms} VMs from {args.clients} client threads ...")
    clients = [engine.connect() for _ in range(args.clients)]
    latencies: list[float] = []

    def start(i: int) -> None:
        client = clients[i % len(clients)]
        t0 = time.monotonic()
        client.system_service().vms_service().vm_service(vm_ids[i]).start()
        latencies.append(time.monotonic() - t0)

    first = time.monotonic()
    with ThreadPoolExecutor(args.clients) as pool:
        requests_done = pool.map(start, range(len(vm_ids)))
        list(requests_done)
    sent = time.monotonic()
    last_progress = [time.monotonic(), 0]

    def all_up(vms: dict[str, t.Vm]) -> bool:
        engine.check_alive()
        up = sum(1 for v in vm_ids if vms[v].status == t.VmStatus.UP)
        if up != last_progress[1]:
            last_progress[:] = [time.monotonic(), up]
        elif time.monotonic() - last_progress[0] > 60:
            raise EngineFailure(f"no progress for 60 s: {up}/{len(vm_ids)} VMs up")
        return up == len(vm_ids)

    final = wait(lambda: statuses(conn), all_up, 600, "all VMs up", interval=0.05)
    all_up_at = time.monotonic()
    for c in clients:
        c.close()
    per_host: dict[str, list[str]] = {}
    for v in vm_ids:
        per_host.setdefault(final[v].host.id, []).append(v)
    running = sum(len(engine.agent_vms(engine.address(i))) for i in range(args.hosts))
    if running != len(vm_ids):
        raise EngineFailure(f"the agents run {running} VMs, the engine says {len(vm_ids)} are up")
    start_s = all_up_at - first

    # ---- a dead host: kill the agent that runs the most VMs
    victim_id = max(per_host, key=lambda h: len(per_host[h]))
    victim = host_ids.index(victim_id)
    victims = per_host[victim_id]
    console.print(f"killing the agent of {hosts.host_service(victim_id).get().name} ({len(victims)} HA VMs) ...")
    host = hosts.host_service(victim_id)
    killed = time.monotonic()
    os.kill(engine.agent_pid(victim), signal.SIGKILL)
    noticed = wait(host.get, lambda h: h.status != t.HostStatus.UP, 120, "the host to leave up")
    noticed_at = time.monotonic()
    assert noticed.status in (t.HostStatus.CONNECTING, t.HostStatus.NON_RESPONSIVE), noticed.status
    wait(host.get, lambda h: h.status == t.HostStatus.NON_RESPONSIVE, 300, "the host non responsive",
         interval=0.05)
    detected_at = time.monotonic()
    host.fence(fence_type="manual")  # the user confirms the host was rebooted: its HA VMs may run elsewhere

    def restarted(vms: dict[str, t.Vm]) -> bool:
        engine.check_alive()
        return all(vms[v].status == t.VmStatus.UP and vms[v].host.id != victim_id for v in victims)

    after = wait(lambda: statuses(conn), restarted, 300, "the HA VMs up elsewhere", interval=0.05)
    recovered_at = time.monotonic()
    for v in victims:
        address = engine.address(host_ids.index(after[v].host.id))
        if engine.agent_vms(address).get(v) != "up":
            raise EngineFailure(f"VM {v} is up on {address} for the engine but not for that host's agent")
    conn.close()
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": {"hosts": args.hosts, "vms": args.vms, "vm_memory_mib": args.vm_memory_mib,
                     "clients": args.clients, **config, "database": "SQLite (fresh data directory)"},
        "starts": {
            "vms": len(vm_ids), "seconds": round(start_s, 3), "vms_per_second": round(len(vm_ids) / start_s, 1),
            "requests_seconds": round(sent - first, 3),
            "request_median_ms": round(statistics.median(latencies) * 1000, 1),
            "request_p95_ms": round(p95(latencies) * 1000, 1),
            "hosts_used": len(per_host),
        },
        "dead_host": {
            "ha_vms": len(victims), "first_notice_s": round(noticed_at - killed, 2),
            "detection_s": round(detected_at - killed, 2), "restart_after_detection_s": round(recovered_at -
                                                                                            detected_at, 2),
            "total_s": round(recovered_at - killed, 2),
        },
        "elapsed_s": round(time.monotonic() - began, 1),
    }


def show(report: dict) -> None:
    s, d, cfg = report["starts"], report["dead_host"], report["settings"]
    table = Table(title=f"Lab hosts: {cfg['hosts']} hosts, {cfg['vms']} VMs (monitor_interval "
                        f"{cfg['monitor_interval']:g} s, non_responsive_timeout {cfg['non_responsive_timeout']:g} s)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row(f"start {s['vms']} VMs: first request to all up", f"{s['seconds']:.2f} s")
    table.add_row("VMs started per second", f"[bold]{s['vms_per_second']:.1f}[/bold]")
    table.add_row(f"start requests ({cfg['clients']} clients): all sent", f"{s['requests_seconds']:.2f} s")
    table.add_row("start request latency, median / p95", f"{s['request_median_ms']:.0f} / {s['request_p95_ms']:.0f} ms")
    table.add_row(f"dead host ({d['ha_vms']} HA VMs): first noticed (connecting)", f"{d['first_notice_s']:.2f} s")
    table.add_row("dead host: detected (non_responsive)", f"[bold]{d['detection_s']:.2f} s[/bold]")
    table.add_row("HA VMs up elsewhere, after detection", f"{d['restart_after_detection_s']:.2f} s")
    table.add_row("dead host: kill to all HA VMs up elsewhere", f"[bold]{d['total_s']:.2f} s[/bold]")
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hosts", type=int, default=10)
    p.add_argument("--vms", type=int, default=200)
    p.add_argument("--vm-memory-mib", type=int, default=512)
    p.add_argument("--clients", type=int, default=8, help="client threads sending the start requests")
    p.add_argument("--monitor-interval", type=float, default=1.0)
    p.add_argument("--non-responsive-timeout", type=float, default=30.0)
    p.add_argument("--output", type=Path, default=RESULTS, help=f"results file (default {RESULTS})")
    args = p.parse_args(argv)
    return finish(console, args, run, show, (EngineFailure, sdk.Error), args.output)


if __name__ == "__main__":
    sys.exit(main())
