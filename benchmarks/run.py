"""Benchmark a real engine over HTTP: add VM, get one VM, list 1,000 VMs (with and without follow).

Run with ``make bench`` (``.venv/bin/python benchmarks/run.py``). The script

1. starts ``python -m engine_api serve`` as a separate process on a free loopback port, with a fresh
   SQLite data directory, and waits for its "ready" line;
2. gets a bearer token from the SSO endpoint, adds a data center and a cluster, then adds the VMs
   with ``POST /vms`` (XML bodies; half of them asking for an XML answer, half for JSON): these adds
   are the "add VM" measurement; every tenth VM then gets a NIC so that ``follow=nics`` has work;
3. measures, for XML and JSON answers (``Accept``), GET of one VM, the list of all VMs, and the list
   with ``follow=disk_attachments,nics``: throughput with ``wrk`` (``-t1 -c4``; a Python keep-alive
   client when wrk is missing) and latency from sequential keep-alive requests made one at a time;
4. prints a table, compares with the targets and writes ``benchmarks/results.json``.

It is a report: the exit status is 0 whatever the figures, and 1 only when the engine fails (does not
start, dies, or answers a request with an error).

Not a pytest module: the test suite runs ``pytest tests`` only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import free_port  # noqa: E402 - beside this script

from engine_api.rest.typed_members import read_answer  # noqa: E402  (the engine's wire model)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.json"
API = "/ovirt-engine/api"
PASSWORD = "vdc-bench-password"
XML = "application/xml"
JSON = "application/json"
FOLLOW = "disk_attachments,nics"
NIC_EVERY = 10  # every tenth VM gets a NIC
IDLE_CLOSE = 3.0  # seconds after which the client opens a new connection rather than reuse an idle one

# Targets: (name, case, format, metric, comparison, value)
TARGETS = [
    ("list of {vms} VMs, median latency", "list", "xml", "median_ms", "<", 100.0),
    ("list of {vms} VMs, median latency", "list", "json", "median_ms", "<", 100.0),
    ("GET one VM, throughput", "get", "xml", "rps", ">=", 1000.0),
    ("GET one VM, throughput", "get", "json", "rps", ">=", 1000.0),
]

console = Console(width=None if sys.stdout.isatty() else 120)


class EngineFailure(RuntimeError):
    """The engine did not start, died, or answered with an error: the benchmark cannot go on."""


# ---------------------------------------------------------------- the engine process


class Server:
    def __init__(self, data_dir: Path, wrap: list[str]):
        self.port = free_port()
        self.data_dir = data_dir
        self.log_path = data_dir / "engine.log"
        cmd = [*wrap, sys.executable, "-m", "engine_api", "serve", "--listen", f"127.0.0.1:{self.port}",
               "--data-dir", str(data_dir / "data")]
        env = dict(os.environ, VDC_ADMIN_PASSWORD=PASSWORD, PYTHONUNBUFFERED="1")
        self._log = open(self.log_path, "wb")  # closed in stop()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=self._log,
                                     start_new_session=True)
        self.stdout: list[str] = []

    def wait_ready(self, timeout: float = 90.0) -> None:
        found = threading.Event()

        def reader() -> None:
            assert self.proc.stdout is not None
            for raw in self.proc.stdout:
                line = raw.decode(errors="replace").rstrip()
                self.stdout.append(line)
                if "ready" in line:
                    found.set()

        threading.Thread(target=reader, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not found.wait(0.1):
            if self.proc.poll() is not None:
                raise EngineFailure(f"the engine exited with status {self.proc.returncode} before it was ready"
                                    f"\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise EngineFailure(f"the engine was not ready after {timeout:.0f} s\n{self.log_tail()}")

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise EngineFailure(f"the engine exited with status {self.proc.returncode}\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(self.stdout[-5:] + text)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


# ---------------------------------------------------------------- a small keep-alive client


class Client:
    def __init__(self, port: int, token: str = ""):
        self.port = port
        self.token = token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.last_used = time.monotonic()

    def request(self, method: str, path: str, body: bytes | None = None, accept: str = XML,
                content_type: str = XML, expect: tuple[int, ...] = (200,)) -> bytes:
        headers = {"Accept": accept}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if body is not None:
            headers["Content-Type"] = content_type
        if time.monotonic() - self.last_used > IDLE_CLOSE:
            self.conn.close()  # the server drops idle keep-alive connections (uvicorn: after 5 s)
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body, headers)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (OSError, http.client.HTTPException) as e:
                self.conn.close()
                if attempt == 1 and method == "GET" and isinstance(e, ConnectionError):
                    continue  # a keep-alive connection closed under us: once more on a new one
                raise EngineFailure(f"{method} {path}: {e}") from None
        self.last_used = time.monotonic()
        if resp.status not in expect:
            raise EngineFailure(f"{method} {path}: HTTP {resp.status}: {data[:500].decode(errors='replace')}")
        return data

    def json(self, method: str, path: str, body: bytes | None = None, content_type: str = XML,
             expect: tuple[int, ...] = (200,)) -> dict:
        """The answer with its integers and booleans (strings on the wire, as oVirt writes them) read by type."""
        return read_answer(json.loads(self.request(method, path, body, JSON, content_type, expect)),
                           path.removeprefix(API))

    def close(self) -> None:
        self.conn.close()


def get_token(port: int) -> str:
    form = urlencode({"grant_type": "password", "scope": "ovirt-app-api", "username": "admin@internal",
                      "password": PASSWORD}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/ovirt-engine/sso/oauth/token", form,
                     {"Content-Type": "application/x-www-form-urlencoded", "Accept": JSON})
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    if resp.status != 200:
        raise EngineFailure(f"SSO token: HTTP {resp.status}: {data[:300].decode(errors='replace')}")
    return json.loads(data)["access_token"]


# ---------------------------------------------------------------- measurements


@dataclass
class Result:
    case: str  # add, get, list, list_follow
    format: str  # xml or json (the Accept header)
    description: str
    requests: int = 0  # requests behind the throughput figure
    rps: float = 0.0
    first_ms: float = 0.0  # the first request of the case (before any server-side cache is warm)
    median_ms: float = 0.0  # of sequential requests (one at a time)
    p95_ms: float = 0.0
    samples: int = 0  # sequential requests behind median and p95
    response_bytes: int = 0
    load: dict = field(default_factory=dict)  # how throughput was measured, and its latencies under load


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * pct / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def sequential(client: Client, path: str, accept: str, samples: int, budget: float) -> tuple[float, list[float], int]:
    """Latency (ms) of a first request, then of up to ``samples`` requests made one after the other (at least 5,
    within ``budget`` s), and the size of the answer."""
    t0 = time.perf_counter()
    size = len(client.request("GET", path, accept=accept))
    first = (time.perf_counter() - t0) * 1000
    client.request("GET", path, accept=accept)  # warm-up
    times: list[float] = []
    deadline = time.perf_counter() + budget
    while len(times) < samples and (len(times) < 5 or time.perf_counter() < deadline):
        t0 = time.perf_counter()
        client.request("GET", path, accept=accept)
        times.append((time.perf_counter() - t0) * 1000)
    return first, times, size


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        return float("nan")
    return float(m.group(1)) * _UNITS[m.group(2)]


def wrk_load(wrk: str, port: int, token: str, path: str, accept: str, duration: float,
             connections: int) -> dict:
    cmd = [wrk, "-t1", f"-c{connections}", f"-d{duration:g}s", "--timeout", "30s", "--latency",
           "-H", f"Authorization: Bearer {token}", "-H", f"Accept: {accept}", f"http://127.0.0.1:{port}{path}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    if out.returncode != 0:
        raise EngineFailure(f"wrk failed ({out.returncode}): {out.stderr.strip() or out.stdout.strip()}")
    text = out.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in ([\d.]+\w+)", text)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if bad and int(bad.group(1)):
        raise EngineFailure(f"GET {path}: {bad.group(1)} error responses under load\n{text}")
    dist = {f"p{p}_ms": _ms(v) for p, v in re.findall(r"^\s+(\d+)%\s+(\S+)$", text, re.M)}
    return {
        "tool": "wrk", "connections": connections, "threads": 1, "duration_s": duration,
        "requests": int(total.group(1)) if total else 0, "rps": float(rps.group(1)) if rps else 0.0,
        "socket_errors": dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups()),
                                  strict=True)) if errors else {},
        **dist,
    }


def python_load(port: int, token: str, path: str, accept: str, duration: float, connections: int) -> dict:
    """Throughput with ``connections`` threads, each a keep-alive http.client loop (when wrk is missing)."""
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures: list[str] = []
    start = threading.Barrier(connections + 1)
    stop_at = [float("inf")]  # set once every worker is connected

    def worker(i: int) -> None:
        client = Client(port, token)
        try:
            client.request("GET", path, accept=accept)
            start.wait()
            while time.perf_counter() < stop_at[0]:
                t0 = time.perf_counter()
                client.request("GET", path, accept=accept)
                latencies[i].append((time.perf_counter() - t0) * 1000)
        except EngineFailure as e:
            failures.append(str(e))
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    stop_at[0] = t0 + duration
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if failures:
        raise EngineFailure(failures[0])
    flat = [x for lat in latencies for x in lat]
    return {
        "tool": "python http.client (threads)", "connections": connections, "duration_s": round(elapsed, 3),
        "requests": len(flat), "rps": len(flat) / elapsed if elapsed else 0.0,
        **{f"p{p}_ms": percentile(flat, p) for p in (50, 75, 90, 99)},
    }


# ---------------------------------------------------------------- the scenario


def vm_xml(name: str, cluster_id: str) -> bytes:
    return (f'<vm><name>{name}</name><cluster id="{cluster_id}"/><template name="Blank"/>'
            f"<memory>1073741824</memory><description>benchmark VM</description></vm>").encode()


def setup_inventory(client: Client) -> tuple[str, str]:
    """A data center and a cluster (XML), and the vNIC profile of the data center's management network."""
    dc = client.json("POST", f"{API}/datacenters",
                     b"<data_center><name>bench</name><local>false</local></data_center>", expect=(201,))
    client.json("POST", f"{API}/clusters",
                f'<cluster><name>bench</name><data_center id="{dc["id"]}"/>'
                f"<cpu><type>Intel Nehalem Family</type></cpu></cluster>".encode(), expect=(201,))
    cluster = client.json("GET", f"{API}/clusters?search=name%3Dbench")["cluster"][0]
    nets = client.json("GET", f"{API}/datacenters/{dc['id']}/networks").get("network", [])
    mgmt = next(n for n in nets if n["name"] == "ovirtmgmt")
    profiles = client.json("GET", f"{API}/networks/{mgmt['id']}/vnicprofiles").get("vnic_profile", [])
    if not profiles:
        raise EngineFailure("the management network has no vNIC profile")
    return cluster["id"], profiles[0]["id"]


def add_vms(client: Client, count: int, cluster_id: str) -> tuple[list[str], list[Result]]:
    """Add ``count`` VMs (XML bodies): the first half answered in XML, the second in JSON."""
    ids: list[str] = []
    results = []
    half = count // 2
    for fmt, accept, names in (("xml", XML, range(half)), ("json", JSON, range(half, count))):
        times: list[float] = []
        t_start = time.perf_counter()
        for i in names:
            t0 = time.perf_counter()
            body = client.request("POST", f"{API}/vms", vm_xml(f"bench-{i:04d}", cluster_id), accept=accept,
                                  expect=(201,))
            times.append((time.perf_counter() - t0) * 1000)
            if accept == JSON:
                ids.append(json.loads(body)["id"])
            else:
                m = re.search(rb'<vm href="[^"]*" id="([^"]+)"', body) or re.search(rb'<vm [^>]*id="([^"]+)"', body)
                if not m:
                    raise EngineFailure(f"POST /vms: no id in the answer: {body[:300]!r}")
                ids.append(m.group(1).decode())
        elapsed = time.perf_counter() - t_start
        results.append(Result("add", fmt, "add VM", len(times), len(times) / elapsed, times[0],
                              statistics.median(times), percentile(times, 95), len(times), len(body),
                              {"tool": "sequential http.client (one request at a time)"}))
    return ids, results


def add_nics(client: Client, vm_ids: list[str], profile_id: str) -> int:
    added = 0
    for vm_id in vm_ids[::NIC_EVERY]:
        client.request("POST", f"{API}/vms/{vm_id}/nics",
                       f'<nic><name>nic1</name><interface>virtio</interface><vnic_profile id="{profile_id}"/>'
                       f"</nic>".encode(), expect=(201,))
        added += 1
    return added


def check_lists(client: Client, count: int, nics: int) -> None:
    vms = client.json("GET", f"{API}/vms").get("vm", [])
    if len(vms) != count:
        raise EngineFailure(f"GET /vms lists {len(vms)} VMs, expected {count}")
    followed = client.json("GET", f"{API}/vms?follow={FOLLOW}").get("vm", [])
    with_nics = sum(1 for v in followed if (v.get("nics") or {}).get("nic"))
    if with_nics != nics:
        raise EngineFailure(f"GET /vms?follow={FOLLOW}: {with_nics} VMs show NICs, expected {nics}")


def run(args: argparse.Namespace) -> dict:
    wrk = None if args.no_wrk else shutil.which("wrk")
    if wrk is None:
        console.print("[yellow]wrk not found (make setup installs it): throughput from a Python client, "
                      "which is slower than the engine may be[/]")
    load_before = loadavg()
    if load_before is not None and load_before > 0.5 * (os.cpu_count() or 1):
        console.print(f"[yellow]the machine is busy (load average {load_before:.2f} on {os.cpu_count()} CPUs): "
                      "figures will be lower and noisier than on an idle machine[/]")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vdc-bench-") as tmp:
        server = Server(Path(tmp), shlex.split(args.wrap) if args.wrap else [])
        try:
            server.wait_ready()
            console.print(f"engine ready on 127.0.0.1:{server.port} ({time.monotonic() - started:.1f} s)")
            token = get_token(server.port)
            client = Client(server.port, token)
            cluster_id, profile_id = setup_inventory(client)
            t0 = time.monotonic()
            vm_ids, results = add_vms(client, args.vms, cluster_id)
            console.print(f"added {len(vm_ids)} VMs in {time.monotonic() - t0:.1f} s")
            nics = add_nics(client, vm_ids, profile_id)
            console.print(f"added {nics} NICs")

            cases = [
                ("get", "GET one VM", f"{API}/vms/{vm_ids[len(vm_ids) // 2]}", 200, 10.0),
                ("list", f"list of {args.vms} VMs", f"{API}/vms", args.samples, 15.0),
                ("list_follow", f"list of {args.vms} VMs + follow", f"{API}/vms?follow={FOLLOW}",
                 args.samples, 20.0),
            ]
            for case, description, path, samples, budget in cases:
                for fmt, accept in (("xml", XML), ("json", JSON)):
                    server.check_alive()
                    first, times, size = sequential(client, path, accept, samples, budget)
                    if wrk:
                        load = wrk_load(wrk, server.port, token, path, accept, args.duration, args.connections)
                    else:
                        load = python_load(server.port, token, path, accept, args.duration, args.connections)
                    results.append(Result(case, fmt, description, load["requests"], load["rps"], first,
                                          statistics.median(times), percentile(times, 95), len(times), size,
                                          load))
                    console.print(f"  {description} ({fmt}): {load['rps']:.1f} req/s, "
                                  f"median {statistics.median(times):.1f} ms")
            check_lists(client, args.vms, nics)  # last, so that the first request of each case finds caches cold
            server.check_alive()
            client.close()
        except EngineFailure:
            server.stop()
            raise
        server.stop()
    return {
        "date": dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds"),
        "machine": {**machine(), "load_average_before": load_before, "load_average_after": loadavg()},
        "settings": {"vms": args.vms, "nics": nics, "follow": FOLLOW, "load_tool": "wrk" if wrk else "python",
                     "connections": args.connections, "duration_s": args.duration, "samples": args.samples,
                     "database": "SQLite (fresh data directory)"},
        "elapsed_s": round(time.monotonic() - started, 1),
        "results": [asdict(r) for r in results],
    }


def machine() -> dict:
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": cpu, "python": platform.python_version(),
            "platform": platform.platform()}


def loadavg() -> float | None:
    """The 1-minute load average (other work on the machine skews the figures)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def judge(report: dict) -> list[dict]:
    by_key = {(r["case"], r["format"]): r for r in report["results"]}
    verdicts = []
    for name, case, fmt, metric, op, value in TARGETS:
        r = by_key.get((case, fmt))
        measured = r[metric] if r else None
        ok = measured is not None and (measured < value if op == "<" else measured >= value)
        label = name.format(vms=report["settings"]["vms"])
        verdicts.append({"target": f"{label} ({fmt.upper()})", "metric": metric, "goal": f"{op} {value:g}",
                         "measured": round(measured, 2) if measured is not None else None,
                         "result": "PASS" if ok else "MISS"})
    return verdicts


def show(report: dict) -> None:
    s = report["settings"]
    m = report["machine"]
    table = Table(title=f"vdc engine benchmark: {s['vms']} VMs ({s['nics']} with a NIC), {m['cpus']} CPUs "
                        f"({m['cpu_model'] or 'unknown CPU'}), Python {m['python']}, {report['date']}, "
                        f"load average {m['load_average_before']}")
    for col in ("case", "format", "req/s", "median ms", "p95 ms", "first ms", "answer KiB", "req/s from"):
        table.add_column(col, justify="left" if col in ("case", "format", "req/s from") else "right")
    for r in report["results"]:
        load = r["load"]
        how = (f"{load['tool'].split()[0]} -c{load['connections']}, {load['requests']} requests"
               if "connections" in load else f"{r['requests']} sequential adds")
        table.add_row(r["description"], r["format"].upper(), f"{r['rps']:.1f}", f"{r['median_ms']:.1f}",
                      f"{r['p95_ms']:.1f}", f"{r['first_ms']:.1f}", f"{r['response_bytes'] / 1024:.1f}", how)
    console.print(table)
    console.print(f"median and p95: sequential keep-alive requests, one at a time (adds: the adds themselves, "
                  f"XML bodies); first: the case's first request (cold server-side caches). "
                  f"req/s of GETs: concurrent load. follow={s['follow']}.")
    targets = Table(title="targets")
    for col in ("target", "goal", "measured", "result"):
        targets.add_column(col)
    for v in report["targets"]:
        unit = " ms" if v["metric"].endswith("_ms") else " req/s"
        colour = "green" if v["result"] == "PASS" else "red"
        targets.add_row(v["target"], v["goal"] + unit, f"{v['measured']}{unit}", f"[{colour}]{v['result']}[/]")
    console.print(targets)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vms", type=int, default=1000, help="VMs to add (default 1000)")
    p.add_argument("--duration", type=float, default=5.0, help="seconds of load per throughput case (default 5)")
    p.add_argument("--connections", type=int, default=4, help="concurrent connections of the load (default 4)")
    p.add_argument("--samples", type=int, default=30, help="sequential requests per list latency (default 30)")
    p.add_argument("--no-wrk", action="store_true", help="use the Python load client even if wrk is installed")
    p.add_argument("--wrap", default="", metavar="CMD",
                   help="command to run the engine under, e.g. 'py-spy record -o /tmp/engine.svg --'")
    p.add_argument("--output", type=Path, default=RESULTS, help=f"results file (default {RESULTS})")
    args = p.parse_args(argv)
    try:
        report = run(args)
    except EngineFailure as e:
        console.print(f"[red]engine failure:[/] {e}")
        return 1
    report["targets"] = judge(report)
    show(report)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    console.print(f"results written to {args.output} (total {report['elapsed_s']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
