"""The pid-file supervision behind vdc.infra.engine_service, with a sleeping Python as the process."""

from __future__ import annotations

import sys
import time

from ansible_collections.vdc.infra.plugins.module_utils import process

SLEEPER = [sys.executable, "-c", "import subprocess, sys, time; "
           "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"]


def test_start_find_and_stop_with_its_children(tmp_path):
    pid_file, log = str(tmp_path / "p.pid"), str(tmp_path / "p.log")
    assert process.running(pid_file) == (None, None)
    proc = process.start(SLEEPER, pid_file, log, {"X": "1"})
    deadline = time.monotonic() + 5
    while process.running(pid_file) == (None, None) and time.monotonic() < deadline:
        time.sleep(0.02)  # /proc/<pid>/cmdline is empty for a moment after the start
    pid, argv = process.running(pid_file)
    assert pid == proc.pid and argv == SLEEPER
    time.sleep(0.3)  # the child is started
    process.stop(pid, timeout=5)
    proc.wait(5)
    assert process.running(pid_file) == (None, None)
    assert not process._signal_group(pid, 0)  # the child went with it
    process.forget(pid_file)
    process.forget(pid_file)


def test_a_stale_pid_file_is_not_a_running_process(tmp_path):
    pid_file = tmp_path / "p.pid"
    pid_file.write_text("999999999\n")
    assert process.running(str(pid_file)) == (None, None)
    pid_file.write_text("garbage\n")
    assert process.running(str(pid_file)) == (None, None)


def test_readiness_names_why_it_failed(tmp_path):
    assert process.wait_ready("http://127.0.0.1:9/", lambda: 3, 5) == "the process ended (exit status 3)"
    assert process.wait_ready("http://127.0.0.1:9/", lambda: -9, 5) == "the process ended (signal 9)"
    assert process.wait_ready("http://127.0.0.1:9/", lambda: None, 0.3).endswith("did not answer within 0s")
