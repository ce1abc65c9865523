"""A long-running process kept by a pid file: is it running (as this command), start it detached, stop it.

Used by ``vdc.infra.engine_service`` where systemd is not PID 1 (containers, CI, the lab). A process counts
as running only when the pid in the file is alive *and* runs the same command line, so a stale pid file (or
a recycled pid) never passes for the engine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
from collections.abc import Callable

from ansible.module_utils.urls import open_url


def read_pid(pid_file: str) -> int | None:
    try:
        with open(pid_file, encoding="ascii") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def command_line(pid: int) -> list[str] | None:
    """The argv of a live process (Linux ``/proc``), or None when it is gone (or a zombie)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0")[:-1]] or None


def running(pid_file: str) -> tuple[int | None, list[str] | None]:
    """The pid in ``pid_file`` and its argv when that process is alive; (None, None) otherwise."""
    pid = read_pid(pid_file)
    argv = command_line(pid) if pid else None
    return (pid, argv) if argv else (None, None)


def start(argv: list[str], pid_file: str, log_file: str, env: dict[str, str],
          cwd: str | None = None) -> subprocess.Popen:
    """Start ``argv`` in a session of its own, output to ``log_file``, nothing inherited; write its pid."""
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, **env}, cwd=cwd, start_new_session=True, close_fds=True)
    tmp = f"{pid_file}.tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{proc.pid}\n")
    os.replace(tmp, pid_file)
    return proc


def _signal_group(pid: int, sig: int) -> bool:
    """Signal the process group ``pid`` leads (the process and the children it started, such as lab agents);
    False when the group is gone."""
    try:
        os.killpg(pid, sig)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:  # not a group leader we may signal: the process alone
        try:
            os.kill(pid, sig)
            return True
        except ProcessLookupError:
            return False


def stop(pid: int, timeout: float = 20.0) -> None:
    """SIGTERM to the process and its group, SIGKILL after ``timeout`` seconds; returns once all of it is gone,
    so whatever it listened on (a port, lab agents' addresses) is free again."""
    if not _signal_group(pid, signal.SIGTERM):
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _signal_group(pid, 0):
            return
        time.sleep(0.1)
    _signal_group(pid, signal.SIGKILL)
    while _signal_group(pid, 0) and time.monotonic() < deadline + 5:
        time.sleep(0.1)


def forget(pid_file: str) -> None:
    """Remove the pid file (a stopped process leaves none behind)."""
    try:
        os.remove(pid_file)
    except FileNotFoundError:
        pass


def answers(url: str) -> bool:
    """The URL answers HTTP at all (401 and 404 count: the server is up)."""
    try:
        with open_url(url, timeout=2, validate_certs=False):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def wait_ready(url: str, exit_code: Callable[[], int | None], timeout: float) -> str | None:
    """Wait until ``url`` answers; returns why it did not (the process ended, or time ran out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(url):
            return None
        code = exit_code()
        if code is not None:
            return f"the process ended ({f'signal {-code}' if code < 0 else f'exit status {code}'})"
        time.sleep(0.2)
    return f"{url} did not answer within {timeout:.0f}s"


def tail(path: str, lines: int = 20) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""
