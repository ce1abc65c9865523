"""The warm pool of sandboxed workers that run external scheduling units, without an engine: each call bounded
in time, memory and processes; a unit that loops, fails, prints garbage, allocates or forks without end is
contained and its worker replaced; a unit writes only to its scratch directory and reaches no network but the
engine's forwarded API port. Every process started here is gone at the end."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from engine_api.scheduler.external.pool import MARGIN, Pool, Settings, UnitError, filter_result, literal

TIMEOUT = 2.0
UID_BASE = 1_950_000
ROOT = os.geteuid() == 0

SOURCE = '''
import os, socket, sys, urllib.request

class Good:
    def do_filter(self, hosts_ids, vm_id, args_map):
        print([h for h in hosts_ids if h != args_map.get("drop")])

class Loops:
    def do_filter(self, hosts_ids, vm_id, args_map):
        while True:
            pass

class Fails:
    def do_filter(self, hosts_ids, vm_id, args_map):
        sys.exit(3)

class Whines:
    def do_filter(self, hosts_ids, vm_id, args_map):
        print("careful", file=sys.stderr)
        print(hosts_ids)

class Garbage:
    def do_filter(self, hosts_ids, vm_id, args_map):
        print("<html>not a literal")

class Hog:
    def do_filter(self, hosts_ids, vm_id, args_map):
        chunks = []
        while True:
            chunks.append(bytearray(32 << 20))

class Big:
    def do_filter(self, hosts_ids, vm_id, args_map):
        try:
            block = bytearray(768 << 20)
            print(["allocated", len(block)])
        except MemoryError:
            print(["refused"])

class Bomb:
    def do_filter(self, hosts_ids, vm_id, args_map):
        while True:
            try:
                os.fork()
            except OSError:
                pass

class Writer:
    def do_filter(self, hosts_ids, vm_id, args_map):
        wrote = []
        for path in args_map["paths"].split(","):
            try:
                with open(path, "w") as f:
                    f.write("x")
                wrote.append(path)
            except OSError:
                pass
        print(wrote)

class Net:
    def do_filter(self, hosts_ids, vm_id, args_map):
        out = []
        try:
            socket.create_connection(("192.0.2.1", 80), timeout=1)
            out.append("outside")
        except OSError:
            pass
        try:
            body = urllib.request.urlopen(os.environ["VDC_API_URL"], timeout=2).read().decode()
            out.append(body)
        except OSError as e:
            out.append("api failed: %s" % e)
        print(out)
'''


def _call(pool: Pool, cls: str, hosts: list[str] | None = None, props: dict | None = None):
    return pool.call({"op": "call", "source": SOURCE, "module": "units", "class": cls, "method": "do_filter",
                      "args": [hosts or ["h1", "h2"], "vm", props or {}]})


def _processes_of(uids: range) -> list[int]:
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/status") as f:
                    uid = next(int(line.split()[1]) for line in f if line.startswith("Uid:"))
            except (OSError, StopIteration):
                continue
            if uid in uids:
                out.append(int(pid))
    return out


class _Api(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"engine api")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def api_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture(scope="module")
def pool(api_server: int) -> Iterator[Pool]:
    settings = Settings(size=2, timeout=TIMEOUT, memory_bytes=512 << 20, nproc=16, uid_base=UID_BASE,
                        api=("127.0.0.1", api_server))
    p = Pool(settings, lambda: {"VDC_API_URL": f"http://127.0.0.1:{api_server}/"})
    p.start()
    try:
        yield p
    finally:
        p.close()
    if ROOT:
        deadline = time.monotonic() + 5
        while _processes_of(range(UID_BASE, UID_BASE + 10)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _processes_of(range(UID_BASE, UID_BASE + 10)) == []


def test_a_call_returns_the_printed_literal(pool: Pool) -> None:
    reply = _call(pool, "Good", ["a", "b", "c"], {"drop": "b"})
    assert filter_result(literal(reply, TIMEOUT), ["a", "b", "c"]) == {"a", "c"}


@pytest.mark.parametrize(("cls", "why"), [
    ("Fails", "exited with status 3"),
    ("Whines", "wrote to stderr: careful"),
    ("Garbage", "printed no Python literal"),
])
def test_the_proxys_rules_mark_errors(pool: Pool, cls: str, why: str) -> None:
    with pytest.raises(UnitError, match=why):
        literal(_call(pool, cls), TIMEOUT)
    assert literal(_call(pool, "Good"), TIMEOUT) == ["h1", "h2"]


@pytest.mark.parametrize("cls", ["Loops", "Hog", "Bomb"])
def test_runaway_units_are_contained_and_the_pool_keeps_serving(pool: Pool, cls: str) -> None:
    started = time.monotonic()
    reply = _call(pool, cls)
    took = time.monotonic() - started
    assert took < TIMEOUT + MARGIN, took
    with pytest.raises(UnitError) as e:
        literal(reply, TIMEOUT)
    if cls == "Hog":  # the memory limit ends it, or on a loaded machine the timeout comes first
        assert any(w in str(e.value) for w in ("MemoryError", "signal", "did not finish")), e.value
    else:
        assert f"did not finish within {TIMEOUT:g} s" in str(e.value)
    # several calls at once still answer, while the worker that failed is replaced
    replies = pool.call_many([{"op": "call", "source": SOURCE, "module": "units", "class": "Good",
                               "method": "do_filter", "args": [["x"], "vm", {}]} for _ in range(3)])
    assert [literal(r, TIMEOUT) for r in replies] == [["x"]] * 3
    if ROOT:  # the workers only (one process each): nothing the unit started is left over
        deadline = time.monotonic() + 20  # a killed worker's processes are reaped late on a loaded machine
        while len(_processes_of(range(UID_BASE, UID_BASE + 10))) > 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(_processes_of(range(UID_BASE, UID_BASE + 10))) <= 2


def test_memory_beyond_the_limit_is_refused(pool: Pool) -> None:
    """RLIMIT_AS (512 MiB here): one allocation of 768 MiB fails inside the unit."""
    assert literal(_call(pool, "Big"), TIMEOUT) == ["refused"]


@pytest.mark.skipif(not ROOT, reason="the filesystem and network sandbox needs root")
def test_writes_only_to_scratch_and_no_network_but_the_api(pool: Pool, tmp_path) -> None:
    outside = [str(tmp_path / "x"), "/var/tmp/vdc-sandbox-probe", "/dev/shm/vdc-sandbox-probe",
               "/etc/vdc-sandbox-probe", os.path.expanduser("~/vdc-sandbox-probe")]
    wrote = literal(_call(pool, "Writer", props={"paths": ",".join(["/tmp/scratch-file", *outside])}), TIMEOUT)
    assert wrote == ["/tmp/scratch-file"]
    assert not any(os.path.exists(p) for p in outside)
    assert not os.path.exists("/tmp/scratch-file")  # the scratch directory is the sandbox's own
    got = literal(_call(pool, "Net"), TIMEOUT)
    assert got == ["engine api"], got
    # the forwarded port leads to the engine's API only: nothing else listens inside
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        assert s.getsockname()  # (a sanity check that this test's own network is untouched)
    assert "RLIMIT_NPROC 16" in pool.enforced and "network namespace (loopback only)" in pool.enforced
