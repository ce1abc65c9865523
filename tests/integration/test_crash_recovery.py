"""kill -9 of the engine in the middle of an apply, a restart, and a re-apply: the estate converges, nothing is
duplicated, nothing stays locked or half-started.

The engine runs as its own process (``python -m engine_api serve --lab-hosts 2``); a watcher polls the API and
kills it at the first moment a kill point holds: before any disk exists, while disks are being made, while
VMs are being started. Its lab agents end with it, as hosts' agents would restart, so VMs in flight are
gone when it starts again: recovery must end them, and their disks, in a true state.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from engine_api.commands.recovery import RECOVERED, VM_IN_FLIGHT
from engine_api.demo import engine as demo
from tests.live import free_port, lab_address

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
STARTING = {"wait_for_launch", "powering_up"}

Snapshot = dict[str, list[dict]]


def _items(client: httpx.Client, path: str) -> list[dict]:
    r = client.get(path)
    r.raise_for_status()
    return next((v for v in r.json().values() if isinstance(v, list)), [])


def snapshot(client: httpx.Client) -> Snapshot:
    return {c: _items(client, c) for c in ("storagedomains", "disks", "vms")}


KILL_POINTS: list[tuple[str, Callable[[Snapshot], bool]]] = [
    ("before disk creation", lambda s: bool(s["storagedomains"]) and not s["disks"]),
    ("during disk creation", lambda s: any(d.get("status") == "locked" for d in s["disks"])),
    ("after disk creation, before VM starts", lambda s: len(s["disks"]) >= 5
     and all(d.get("status") == "ok" for d in s["disks"]) and not any(v.get("status") != "down" for v in s["vms"])),
    ("during VM starts", lambda s: any(v.get("status") in STARTING for v in s["vms"])),
]


class Lab:
    def __init__(self, work: Path):
        self.work = work
        self.data = work / "engine"
        self.port = free_port()
        self.lab_address = lab_address()
        self.engine: demo.DemoEngine | None = None

    def start(self) -> demo.DemoEngine:
        self._wait_free()
        self.engine = demo.start(self.data, f"127.0.0.1:{self.port}", self.lab_address)
        return self.engine

    def _wait_free(self) -> None:
        """The last engine's lab agents end with it (a signal from the kernel): wait until their port is free."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                try:
                    s.bind((self.lab_address, 54321))
                    return
                except OSError:
                    time.sleep(0.1)
        raise AssertionError("the last engine's lab agents still hold their port")

    def client(self) -> httpx.Client:
        assert self.engine is not None
        return httpx.Client(base_url=self.engine.url + "/", auth=(demo.USER, self.engine.password),
                            headers={"Accept": "application/json"}, timeout=30)

    def kill(self) -> None:
        assert self.engine is not None
        os.kill(self.engine.process.pid, signal.SIGKILL)
        self.engine.process.wait(timeout=10)

    def in_flight(self) -> list[str]:
        """What the killed engine left locked or starting, read from its database: a kill seen "during" some work
        may land just after it ended (a blank volume takes a fraction of a millisecond)."""
        with sqlite3.connect(f"file:{self.data / 'engine.db'}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT name FROM disks WHERE json_extract(doc, '$.status') = 'locked' UNION ALL "
                              "SELECT name FROM templates WHERE json_extract(doc, '$.status') = 'locked' UNION ALL "
                              "SELECT name FROM vms WHERE json_extract(doc, '$.status') IN "
                              f"({', '.join(repr(s) for s in sorted(VM_IN_FLIGHT))})").fetchall()
        return [name for (name,) in rows]

    def stop(self) -> None:
        if self.engine is not None:
            self.engine.stop()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("crash")
    shutil.copytree(ROOT / "playbooks" / "estates" / "lab", work / "lab")
    lab = Lab(work)
    (work / "lab" / "vars.yml").write_text(json.dumps({
        "lab_host_addresses": [lab.lab_address, lab.lab_address.rsplit(".", 1)[0] + ".2"],
        "lab_storage_address": "127.0.0.1", "lab_storage_path": str(work / "storage" / "lab-data")}))
    lab.start()
    try:
        yield lab
    finally:
        lab.stop()


def apply(lab: Lab) -> tuple[subprocess.Popen, Path]:
    assert lab.engine is not None
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collection"), "ANSIBLE_LOCALHOST_WARNING": "0",
           "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0",
           "ANSIBLE_LOCAL_TEMP": str(lab.work / "tmp"), "ANSIBLE_HOME": str(lab.work / "home"),
           "VDC_URL": lab.engine.url, "VDC_USERNAME": demo.USER, "VDC_PASSWORD": lab.engine.password}
    log = lab.work / f"apply-{time.monotonic_ns()}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(PLAYBOOK), str(ROOT / "playbooks" / "site.yml"), "-e",
                                 f"estate_dir={lab.work / 'lab'}"], cwd=lab.work, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    return proc, log


def recap(log: Path) -> dict[str, int]:
    text = log.read_text()
    found = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", text)
    assert found, text[-3000:]
    return dict(zip(("ok", "changed", "failed"), map(int, found.groups()), strict=True))


def apply_and_kill_at(lab: Lab, points: list[tuple[str, Callable[[Snapshot], bool]]]) -> str | None:
    """Run an apply and kill the engine at the first of ``points`` that holds; the one hit, or None."""
    proc, log = apply(lab)
    hit: str | None = None
    with lab.client() as client:
        while proc.poll() is None and hit is None:
            try:
                state = snapshot(client)
            except httpx.HTTPError:
                continue
            for name, holds in points:
                if holds(state):
                    lab.kill()
                    hit = name
                    break
            time.sleep(0.02)
    proc.wait(timeout=300)
    return hit


def test_kill_minus_nine_during_an_apply_then_reapply_converges(lab: Lab) -> None:
    started = time.monotonic()
    hits: list[str] = []
    interrupted: list[str] = []  # what the kills left in flight, for the next start to recover
    remaining = list(KILL_POINTS)
    for _ in range(3):  # three crashes, each at the earliest point not yet hit that still comes
        hit = apply_and_kill_at(lab, remaining)
        if hit is None:
            break
        hits.append(hit)
        interrupted += lab.in_flight()
        remaining = remaining[[n for n, _ in remaining].index(hit) + 1:]
        lab.start()
        with lab.client() as client:
            state = snapshot(client)
        assert not [d["name"] for d in state["disks"] if d.get("status") == "locked"], (hit, state["disks"])
        assert not [v["name"] for v in state["vms"] if v.get("status") in STARTING | {"migrating"}], hit
        if not remaining:
            break
    assert hits, "the apply ended before any kill point was seen"
    print("kill points hit:", hits)

    proc, log = apply(lab)
    assert proc.wait(timeout=300) == 0, log.read_text()[-3000:]
    assert recap(log)["failed"] == 0
    proc, log = apply(lab)
    assert proc.wait(timeout=300) == 0, log.read_text()[-3000:]
    assert recap(log)["changed"] == 0, log.read_text()[-3000:]  # converged: a second run has nothing to do

    with lab.client() as client:
        state = snapshot(client)
        jobs = _items(client, "jobs")
        events = _items(client, "events")
    for collection in ("disks", "vms"):
        names = Counter(item["name"] for item in state[collection])
        assert all(n == 1 for n in names.values()), (collection, names)
    assert {d["name"] for d in state["disks"]} == {"web1_os", "web2_os", "db1_os", "db1_data", "build1_os"}
    assert {d["name"]: d["status"] for d in state["disks"]} == dict.fromkeys(
        ("web1_os", "web2_os", "db1_os", "db1_data", "build1_os"), "ok")
    assert {v["name"]: v["status"] for v in state["vms"]} == {"web1": "up", "web2": "up", "db1": "up",
                                                              "build1": "down"}
    assert not [j for j in jobs if j.get("status") == "started"]
    recovered = [e["description"] for e in events if int(e.get("code", 0)) == RECOVERED]
    assert all(any(name in text for text in recovered) for name in interrupted), (interrupted, recovered)
    assert bool(recovered) == bool(interrupted), (hits, interrupted, recovered)
    assert time.monotonic() - started < 240, f"{hits} took {time.monotonic() - started:.0f}s"
