"""``vdc-shell`` against a live engine: through ``-E`` and ``-f`` (output, pipes, exit statuses, faults on
stderr) and at its prompt in a pseudo-terminal (TAB completion of commands, types, names and options)."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

SHELL = [sys.executable, "-m", "engine_api.shell.main"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def env(live_engine, tmp_path_factory) -> dict[str, str]:
    """The environment of a user whose ~/.vdcshellrc names the engine; the password comes from VDC_PASSWORD."""
    home = tmp_path_factory.mktemp("home")
    (home / ".vdcshellrc").write_text(f"[vdc-shell]\nurl = {live_engine.url}\nusername = {live_engine.username}\n")
    return dict(os.environ, HOME=str(home), VDC_PASSWORD=live_engine.password, PYTHONPATH=str(ROOT),
                INPUTRC="/dev/null", TERM="xterm")


def shell(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([*SHELL, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120,
                          cwd=ROOT)


def fields(text: str) -> list[tuple[str, str]]:
    return [(k.strip(), v.strip()) for k, _, v in (line.partition(": ") for line in text.splitlines()) if _]


@pytest.fixture(scope="module")
def web1(env) -> str:
    r = shell(env, "-E", "add vm --name web1 --cluster-name Default --template-name Blank --memory 1073741824")
    assert r.returncode == 0, r.stderr
    return dict(fields(r.stdout))["id"]


def test_execute_lists_shows_updates_in_key_value_form(env, web1) -> None:
    r = shell(env, "-E", 'list vms --query "name=web*"; show vm web1; update vm web1 --memory 2147483648')
    assert r.returncode == 0, r.stderr
    got = fields(r.stdout)
    assert ("id", web1) in got and ("name", "web1") in got
    assert ("memory", "1073741824") in got and ("memory", "2147483648") in got
    assert ("cpu-topology-cores", "1") in got  # nested members joined with '-'
    assert ("stateless", "false") in got  # booleans as ovirt-shell printed them, as the engine's JSON writes them
    # keys are padded to the widest key of the object
    show = shell(env, "-E", "show vm web1").stdout
    colons = {line.index(": ") for line in show.splitlines()}
    assert len(colons) == 1 and len(show.splitlines()) > 20


def test_pipes_and_bang(env, web1) -> None:
    r = shell(env, "-E", "show vm web1 | grep -c memory_policy; !echo from-the-shell")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["3", "from-the-shell"]


def test_failures_exit_non_zero_with_the_fault_on_stderr(env, web1) -> None:
    r = shell(env, "-E", "show vm nosuch")
    assert r.returncode == 11 and "vm 'nosuch' does not exist" in r.stderr and r.stdout == ""
    r = shell(env, "-E", "action vm web1 start")  # no host is up: the engine refuses
    assert r.returncode == 10 and "status: 409" in r.stderr and "no hosts" in r.stderr.lower()
    r = shell(env, "-E", "list nothing")
    assert r.returncode == 1 and "unknown type 'nothing'" in r.stderr
    r = shell(env, "-E", "add vm --name x --bogus 1")
    assert r.returncode == 1 and "--bogus" in r.stderr
    r = shell(env, "-E", "list vms; show vm nosuch; list datacenters")  # every command runs, the status stays
    assert r.returncode == 11 and "name       : Default" in r.stdout


def test_file_of_commands_with_parents_and_remove(env, web1, tmp_path) -> None:
    script = tmp_path / "script"
    script.write_text("# a comment\nadd nic --parent-vm-name web1 --name nic1 \\\n  --interface virtio\n"
                      "list nics --parent-vm-name web1 --show-all\nremove nic nic1 --parent-vm-name web1\n"
                      "list nics --parent-vm-identifier " + web1 + "\nstatus\n")
    r = shell(env, "-f", str(script))
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("name     ") + r.stdout.count("name      ") >= 1
    assert ("interface", "virtio") in fields(r.stdout)
    assert "status: complete" in r.stdout.replace("status    ", "status")
    assert r.stdout.rstrip().endswith("last command status: 0")


def test_wrong_password_is_an_authentication_failure(env) -> None:
    r = shell(dict(env, VDC_PASSWORD="wrong"), "-E", "list vms")
    assert r.returncode == 6 and "login failed" in r.stderr


def test_help_is_generated_from_the_model(env) -> None:
    r = shell(env, "-E", "help add vm; help action vm")
    assert r.returncode == 0, r.stderr
    assert "--cluster-name" in r.stdout and "--cpu-topology-cores" in r.stdout
    assert re.search(r"actions: .*\bstart\b.*\bstop\b", r.stdout)


class Pty:
    """The shell at a prompt in a pseudo-terminal, read as a user would see it."""

    def __init__(self, env: dict[str, str]):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(SHELL, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT,
                                     start_new_session=True)
        os.close(slave)
        self.seen = ""

    def expect(self, pattern: str, timeout: float = 30) -> str:
        deadline = time.time() + timeout
        while not re.search(pattern, self.seen):
            left = deadline - time.time()
            assert left > 0, f"{pattern!r} not seen in {self.seen[-2000:]!r}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536).decode(errors="replace")
                except OSError:  # the shell has exited
                    break
        assert re.search(pattern, self.seen), self.seen[-2000:]
        return self.seen

    def send(self, text: str) -> None:
        self.seen = ""
        os.write(self.master, text.encode())

    def close(self) -> int:
        try:
            return self.proc.wait(timeout=30)
        finally:
            os.close(self.master)


def test_prompt_with_tab_completion(env, web1) -> None:
    term = Pty(env)
    try:
        term.expect(r"\[vdc shell \(connected\)\]# ")
        term.send("sho\t")  # a command
        term.expect("show ")
        term.send("vnicpr\t")  # a type
        term.expect("vnicprofile ")
        term.send("\x15list datacent\t")  # list takes the collection's name
        term.expect("datacenters ")
        term.send("\x15show vm we\t")  # a name, fetched from the engine
        term.expect("web1 ")
        term.send("\n")
        term.expect(r"name\s+: web1")
        term.send("update vm web1 --cpu-topology-so\t")  # an option
        term.expect("sockets ")
        term.send("\x15")  # clear the line
        term.send("add vm clu\t")  # part of an option: the '--' is added
        term.expect("--cluster-")
        term.send("\x15list vms | grep -c name\n")
        term.expect(r"\r\n1\r\n")
        term.send("action vm web1 sta\t")  # an action
        term.expect("start ")
        term.send("\x15exit\n")
        assert term.close() == 0
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
