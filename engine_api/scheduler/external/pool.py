"""The engine's side of the workers that run external scheduling units: a warm pool of sandboxed worker
processes (see :mod:`.worker`), each call bounded in time, and the scheduler proxy's rules for what a call
returned.

A call that times out, overflows its output or dies of a signal costs its worker: the worker is killed (its PID
namespace with it) and a fresh one takes its place, in the background. A worker that does not answer within
the call's timeout plus a margin is treated the same way, so a caller never waits longer than that.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
WORKER = Path(__file__).with_name("worker.py")
MARGIN = 2.0  # seconds a worker may take beyond a call's timeout before the engine gives up on it
READY_TIMEOUT = 30.0
PRELOAD = ["ovirtsdk4.*", "ast", "inspect", "json", "traceback", "types",
           "re", "math", "collections", "datetime", "uuid", "random", "itertools", "functools", "logging"]


@dataclass
class Settings:
    size: int = 2  # worker processes
    timeout: float = 120.0  # seconds per call (oVirt's ExternalSchedulerResponseTimeout is 120000 ms)
    memory_bytes: int = 1 << 30  # RLIMIT_AS of a worker and its calls
    nproc: int = 32  # RLIMIT_NPROC of a worker's own uid (sandboxed only)
    scratch_bytes: int = 16 << 20  # size of the scratch tmpfs, and RLIMIT_FSIZE
    uid_base: int = 1_900_000  # worker i runs as uid and gid uid_base + i (sandboxed only)
    sandbox: bool | None = None  # None: when the engine runs as root
    api: tuple[str, int] | None = None  # the engine's API address, forwarded into the sandbox
    scratch_root: Path = Path("/tmp")  # parent of the scratch directories when not sandboxed

    def sandboxed(self) -> bool:
        return os.geteuid() == 0 if self.sandbox is None else self.sandbox


@dataclass
class Reply:
    """What the worker reported of one call."""

    rc: int | None = None
    stdout: str = ""
    stderr: str = ""
    result: str = ""
    timeout: bool = False
    overflow: bool = False
    lost: str | None = None  # the worker itself failed (no answer in time, died, would not start)
    seconds: float = 0.0

    def failure(self, limit: float) -> str | None:
        """Why the call failed by the proxy's rules (before its output is read), or None."""
        if self.lost:
            return self.lost
        if self.timeout:
            return f"it did not finish within {limit:g} s and was killed"
        if self.overflow:
            return "it wrote more than 1 MiB of output and was killed"
        if self.rc is not None and self.rc < 0:
            return f"it was killed by signal {-self.rc}"
        if self.rc:
            tail = _tail(self.stderr)
            return f"it exited with status {self.rc}" + (f": {tail}" if tail else "")
        if self.stderr.strip():
            return f"it wrote to stderr: {_tail(self.stderr)}"
        return None


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


class Worker:
    def __init__(self, index: int, settings: Settings):
        self.index = index
        self.settings = settings
        self.enforced: list[str] = []
        self.proc: subprocess.Popen | None = None
        self._buf = b""

    def start(self) -> None:
        s = self.settings
        sandboxed = s.sandboxed()
        cfg: dict[str, Any] = {"sandbox": sandboxed, "memory_bytes": s.memory_bytes, "nproc": s.nproc,
                               "scratch_bytes": s.scratch_bytes, "preload": PRELOAD}
        if sandboxed:
            cfg.update(uid=s.uid_base + self.index, gid=s.uid_base + self.index,
                       read_paths=sorted({sys.base_prefix, sys.prefix, str(WORKER.parent)}))
            if s.api:
                cfg.update(api_port=s.api[1], api_host=s.api[0], api_target_port=s.api[1])
        else:
            scratch = s.scratch_root / f"vdc-sched-{os.getpid()}-{self.index}-{time.monotonic_ns()}"
            scratch.mkdir(mode=0o700, parents=True, exist_ok=True)
            cfg["scratch_dir"] = str(scratch)
        self.proc = subprocess.Popen([sys.executable, "-I", str(WORKER)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
                                     close_fds=True)
        self._write(cfg)
        ready = self._read(READY_TIMEOUT)
        if not ready or not ready.get("ready"):
            self.kill()
            raise RuntimeError(f"the scheduling worker did not start: {(ready or {}).get('error', 'no answer')}")
        self.enforced = ready.get("enforced") or []

    def _write(self, message: dict) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()

    def _read(self, timeout: float) -> dict | None:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return json.loads(line)

    def request(self, req: dict, timeout: float) -> Reply:
        started = time.monotonic()
        try:
            self._write({**req, "timeout": timeout})
            raw = self._read(timeout + MARGIN)
        except (OSError, ValueError) as e:
            return Reply(lost=f"its worker failed: {e}", seconds=time.monotonic() - started)
        seconds = time.monotonic() - started
        if raw is None:
            return Reply(lost=f"its worker did not answer within {timeout + MARGIN:g} s", seconds=seconds)
        return Reply(raw.get("rc"), raw.get("stdout", ""), raw.get("stderr", ""), raw.get("result", ""),
                     bool(raw.get("timeout")), bool(raw.get("overflow")), seconds=seconds)

    def kill(self) -> None:
        if self.proc is None:
            return
        try:
            self.proc.kill()  # the sandbox's PID 1 follows (PR_SET_PDEATHSIG), and its namespace with it
        except ProcessLookupError:
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            log.warning("scheduling worker %s did not exit", self.proc.pid)


@dataclass
class Pool:
    settings: Settings
    env: Callable[[], dict[str, str]] = dict  # the environment of each call (the API's URL and a token)
    _idle: queue.Queue = field(default_factory=queue.Queue)
    _all: list[Worker] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closed: bool = False
    started: bool = False
    enforced: list[str] = field(default_factory=list)

    def start(self) -> None:
        """Start the workers (in the background); calls wait for the first one ready."""
        with self._lock:
            if self.started:
                return
            self.started = True
        for i in range(self.settings.size):
            self._spawn(i)

    def _spawn(self, index: int) -> None:
        def work() -> None:
            for attempt in range(3):
                if self._closed:
                    return
                worker = Worker(index, self.settings)
                try:
                    worker.start()
                except (OSError, RuntimeError) as e:
                    log.error("scheduling worker %d: %s", index, e)
                    time.sleep(0.5 * (attempt + 1))
                    continue
                with self._lock:
                    if self._closed:
                        worker.kill()
                        return
                    self._all.append(worker)
                    self.enforced = worker.enforced
                self._idle.put(worker)
                return
        threading.Thread(target=work, name=f"vdc-sched-worker-{index}", daemon=True).start()

    def _retire(self, worker: Worker) -> None:
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
        worker.kill()
        self._spawn(worker.index)

    def call(self, req: dict, timeout: float | None = None) -> Reply:
        """Run one request (``op`` ``call`` or ``analyse``) on an idle worker; never longer than the timeout
        plus the margin, waiting for a worker included."""
        limit = timeout if timeout is not None else float(req.get("timeout") or self.settings.timeout)
        self.start()
        started = time.monotonic()
        try:
            worker: Worker = self._idle.get(timeout=limit + MARGIN)
        except queue.Empty:
            return Reply(lost="no scheduling worker was free in time", seconds=time.monotonic() - started)
        req = {**req, "env": {**self.env(), **(req.get("env") or {})}}
        reply = worker.request(req, max(0.1, limit - (time.monotonic() - started)))
        reply.seconds = time.monotonic() - started
        if reply.lost or reply.timeout or reply.overflow or (reply.rc is not None and reply.rc < 0):
            threading.Thread(target=self._retire, args=(worker,), daemon=True).start()
        else:
            self._idle.put(worker)
        return reply

    def call_many(self, reqs: list[dict]) -> list[Reply]:
        """Several requests at once, one thread each (at most the pool's size run at the same time)."""
        if len(reqs) <= 1:
            return [self.call(r) for r in reqs]
        out: list[Reply | None] = [None] * len(reqs)

        def one(i: int) -> None:
            out[i] = self.call(reqs[i])
        threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(reqs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return [r or Reply(lost="no reply") for r in out]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for w in workers:
            w.kill()


# ---------------------------------------------------------------- the proxy's rules for results


class UnitError(Exception):
    """A unit's call failed; the message says why (for the audit event)."""


def literal(reply: Reply, limit: float) -> Any:
    """The Python literal the unit printed (its last non-empty line: the proxy reads the literal the unit
    prints); a failure by the proxy's rules raises :class:`UnitError`."""
    why = reply.failure(limit)
    if why:
        raise UnitError(why)
    text = reply.stdout.strip()
    if not text:
        raise UnitError("it printed nothing")
    try:
        return ast.literal_eval(text.splitlines()[-1].strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise UnitError(f"it printed no Python literal: {text[-200:]!r}") from None


def filter_result(value: Any, hosts: list[str]) -> set[str]:
    if not isinstance(value, list | tuple | set):
        raise UnitError(f"a filter must print a list of host ids, not {type(value).__name__}")
    given = set(hosts)
    return {str(h) for h in value if str(h) in given}


def score_result(value: Any, hosts: list[str]) -> dict[str, float]:
    """``[(host id, score), ...]``; a host the unit did not score gets 0, as oVirt does."""
    if not isinstance(value, list | tuple):
        raise UnitError(f"a weight must print a list of (host id, score) pairs, not {type(value).__name__}")
    scores = dict.fromkeys(hosts, 0.0)
    for item in value:
        if not isinstance(item, list | tuple) or len(item) < 2 or not isinstance(item[1], int | float):
            raise UnitError(f"a weight must print (host id, score) pairs, got {item!r:.80}")
        if str(item[0]) in scores:
            scores[str(item[0])] = float(item[1])
    return scores


def balance_result(value: Any, hosts: list[str]) -> tuple[str, list[str]] | None:
    """``(vm id, [host ids])``; None or an empty VM id: nothing to move."""
    if value is None or value == "" or value == ():
        return None
    if not isinstance(value, list | tuple) or len(value) != 2 or not isinstance(value[1], list | tuple):
        raise UnitError("a balancer must print (vm id, [host ids])")
    vm, targets = value
    if not vm:
        return None
    given = set(hosts)
    return str(vm), [str(h) for h in targets if str(h) in given]
