"""Benchmark a whole estate through Ansible: ``vdc.infra.apply`` once, again as a no-op, and the same no-op the
ovirt.ovirt way (one ``ovirt.ovirt.ovirt_vm`` task per VM in a loop).

Run with ``make bench`` (``.venv/bin/python benchmarks/estate.py``). The script

1. starts ``python -m engine_api serve --lab-hosts 10`` on a free port, a fresh SQLite data directory and a
   loopback range of its own, and waits for its ``ready`` line;
2. writes the estate as one YAML file: 1 data center, 2 clusters of 5 lab hosts, 2 NFS data domains,
   4 networks, and 500 VMs with a disk and a NIC each (every tenth VM running); ``--vms``, ``--hosts`` and
   ``--clusters`` change the numbers (the 5,000-VM estate: ``--vms 5000 --hosts 50 --clusters 10``);
3. times ``ansible-playbook`` (wall clock, process start to end) running ``vdc.infra.apply`` on it: the first
   apply (everything created; hosts come up, domains are activated, VMs start), then re-applies, which must
   report ``changed=0`` (``--noop-runs``, the median counts), against the median of as many runs of a playbook
   of one ``set_fact`` task, ``ansible-playbook``'s own start-up; with the peak resident memory of the engine
   and of each run's largest process;
4. times the same no-op with ``.venv-ovirt/bin/ansible-playbook`` (the ``ansible`` package, which ships
   ovirt.ovirt): ``ovirt_auth`` once, then ``ovirt_vm`` looped over the 500 VMs with the same name, cluster,
   memory, cores and state; it must report ``changed=0`` too. It checks the VMs only (not their disks and
   NICs), so the comparison favours the loop;
5. with ``--inventory``, times ``ansible-inventory --list`` (wall clock and the peak resident memory of its
   largest process) with the ``vdc.infra.engine`` inventory plugin and with ``ovirt.ovirt.ovirt`` (from
   ``.venv-ovirt``) over the same engine, both with their defaults and no cache, and checks that both list
   every VM;
6. prints a table with the machine's speed before and after (the CPU seconds of a fixed loop: on a shared
   virtual machine the same run varies by a third from one hour to the next), compares with the targets and
   writes ``benchmarks/estate_results.json``.

A report: the exit status is 0 whatever the figures, 1 when something fails (the engine, a playbook, or a
"no-op" that changed something). Not a pytest module: the test suite runs ``pytest tests`` only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import finish, free_port, reference_loop
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "estate_results.json"
VDC_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
OVIRT_PLAYBOOK = ROOT / ".venv-ovirt" / "bin" / "ansible-playbook"
VDC_INVENTORY = Path(sys.executable).parent / "ansible-inventory"
OVIRT_INVENTORY = ROOT / ".venv-ovirt" / "bin" / "ansible-inventory"
PASSWORD = "vdc-bench-password"
TARGET_NOOP_S = 10.0
TARGET_RATIO = 50.0
TARGET_OVER_STARTUP_S = 0.5  # a 500-VM no-op re-apply, over ansible-playbook's own start-up
TARGET_FIRST_5000_S = 100.0  # the first apply of the 5,000-VM estate

console = Console(width=None if sys.stdout.isatty() else 120)

REAPPLY = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - vdc.infra.apply: {src: "{{ estate_file }}", parallel: "{{ parallel }}", timeout: 600}
"""  # the no-op re-apply: the apply task alone, against STARTUP's one task

APPLY = REAPPLY + """\
      register: result
    - ansible.builtin.copy: {content: "{{ result.totals | to_json }}", dest: "{{ result_file }}"}
      changed_when: false
"""  # the first apply, which writes what it did to result_file

STARTUP = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ansible.builtin.set_fact: {started: true}
"""

OVIRT_LOOP = """
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ovirt.ovirt.ovirt_auth: {url: "{{ engine_url }}", username: admin@internal, password: "{{ password }}",
                               insecure: true}
    - ovirt.ovirt.ovirt_vm:
        auth: "{{ ovirt_auth }}"
        name: "{{ item.name }}"
        cluster: "{{ item.cluster }}"
        memory: "{{ item.memory }}"
        cpu_cores: "{{ item.cpu_cores }}"
        state: "{{ item.state }}"
      loop: "{{ vms }}"
      loop_control: {label: "{{ item.name }}"}
"""


VDC_SOURCE = """
plugin: vdc.infra.engine
url: {url}
username: admin@internal
password: {password}
"""

OVIRT_SOURCE = """
plugin: ovirt.ovirt.ovirt
ovirt_url: {url}
ovirt_username: admin@internal
ovirt_password: {password}
ovirt_insecure: true
"""


class BenchFailure(RuntimeError):
    """The engine or a playbook failed, or a no-op changed something: no figure to report."""


# ---------------------------------------------------------------- the estate


def estate(vms: int, hosts: int, lab_net: str, storage: Path, clusters: int = 2) -> dict:
    """1 data center, ``clusters`` clusters sharing ``hosts`` lab hosts, 2 data domains, 4 networks, ``vms`` VMs."""
    names = [f"bench-c{c}" for c in range(clusters)]
    cluster_docs = [{"name": names[c], "cpu_type": "Intel Nehalem Family",
                     "hosts": [{"name": f"bench-h{n}", "address": f"{lab_net}.{n + 1}"}
                               for n in range(hosts) if n % clusters == c]}
                    for c in range(clusters)]
    domains = [{"name": f"bench-data{j}", "type": "data", "master": j == 0,
                "nfs": {"address": "127.0.0.1", "path": str(storage / f"data{j}")}} for j in range(2)]
    networks = [{"name": f"bench-net{k}", "vlan": 100 + k, "clusters": names} for k in range(4)]
    machines = [{"name": f"bench-vm{i:03d}", "cluster": names[i % clusters], "memory": "256MiB", "cpu_cores": 1,
                 "state": "running" if (i // clusters) % 10 == 0 else "present",  # a tenth of each cluster's
                 "disks": [{"name": f"bench-vm{i:03d}_os", "size": "1GiB", "storage_domain": f"bench-data{i % 2}",
                            "bootable": True}],
                 "nics": [{"name": "nic1", "network": f"bench-net{i % 4}"}]} for i in range(vms)]
    return {"estate": "bench", "data_centers": [{"name": "bench", "compatibility_version": "4.7",
                                                 "clusters": cluster_docs, "storage_domains": domains,
                                                 "networks": networks}], "vms": machines}


def ovirt_vms(doc: dict) -> list[dict]:
    """The VMs as the ovirt_vm loop declares them (``present`` is ovirt's state for a VM that may be down)."""
    return [{"name": v["name"], "cluster": v["cluster"], "memory": v["memory"], "cpu_cores": v["cpu_cores"],
             "state": v["state"]} for v in doc["vms"]]


# ---------------------------------------------------------------- the engine


@dataclass
class Engine:
    process: subprocess.Popen
    url: str

    def peak_rss_mb(self) -> float | None:
        """The engine process's peak resident memory (VmHWM), while it runs."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        kib = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), None)
        return round(kib / 1024, 1) if kib is not None else None

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_engine(data_dir: Path, hosts: int, lab_address: str) -> Engine:
    port = free_port()
    cmd = [sys.executable, "-m", "engine_api", "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(data_dir),
           "--lab-hosts", str(hosts), "--lab-address", lab_address]
    log = open(data_dir.parent / "engine.log", "wb")  # noqa: SIM115 - the engine owns it until it ends
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "VDC_ADMIN_PASSWORD": PASSWORD},
                            stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True)
    for line in proc.stdout:  # type: ignore[union-attr]
        if "ready" in line:
            subprocess.Popen(["cat"], stdin=proc.stdout, stdout=subprocess.DEVNULL)  # keep draining
            return Engine(proc, line.split()[-1])
    raise BenchFailure(f"the engine did not start (see {data_dir.parent / 'engine.log'})")


# ---------------------------------------------------------------- playbooks


@dataclass
class Run:
    seconds: float
    changed: int
    failed: int
    peak_rss_mb: float = 0.0  # the largest process of the run (ansible-playbook or a task's worker)


def play(binary: Path, playbook: Path, variables: dict, work: Path, env: dict[str, str]) -> Run:
    """``ansible-playbook`` timed from process start to end; the recap of localhost."""
    vars_file = work / f"{playbook.stem}-vars.json"
    vars_file.write_text(json.dumps(variables))
    out, err = work / f"{playbook.stem}.out", work / f"{playbook.stem}.err"
    started = time.monotonic()
    with open(out, "w") as stdout, open(err, "w") as stderr:
        proc = subprocess.Popen([str(binary), str(playbook), "-e", f"@{vars_file}"], cwd=work, env=env,
                                stdout=stdout, stderr=stderr)
        # wait4: the run's resources, its largest process included (the workers are waited for by ansible)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    stdout_text, stderr_text = out.read_text(), err.read_text()
    recap = next((line for line in stdout_text.splitlines() if line.startswith("localhost ")), "")
    if proc.returncode != 0 or not recap:
        raise BenchFailure(f"{binary.parent.parent.name} {playbook.name} failed:\n{stdout_text[-3000:]}"
                           f"{stderr_text[-2000:]}")
    fields = dict(part.split("=") for part in recap.split(":", 1)[1].split())
    return Run(seconds, int(fields["changed"]), int(fields["failed"]), round(usage.ru_maxrss / 1024, 1))


@dataclass
class Listing:
    seconds: float
    hosts: int
    peak_rss_mb: float


def list_inventory(binary: Path, source: Path, work: Path, env: dict[str, str]) -> Listing:
    """``ansible-inventory -i source --list`` timed from process start to end, with its largest process's peak."""
    out, err = work / f"{source.name}.out", work / f"{source.name}.err"
    started = time.monotonic()
    with open(out, "w") as stdout, open(err, "w") as stderr:
        proc = subprocess.Popen([str(binary), "-i", str(source), "--list"], cwd=work, env=env, stdout=stdout,
                                stderr=stderr)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise BenchFailure(f"{binary} -i {source.name} failed:\n{err.read_text()[-3000:]}")
    hosts = len(json.loads(out.read_text()).get("_meta", {}).get("hostvars", {}))
    return Listing(seconds, hosts, round(usage.ru_maxrss / 1024, 1))


def compare_inventories(engine: Engine, vms: int, work: Path, env: dict[str, str],
                        vdc_env: dict[str, str]) -> dict[str, Listing]:
    """The same engine listed by each plugin; both must list every VM."""
    vdc_source, ovirt_source = work / "bench.vdc.yml", work / "bench.ovirt.yml"
    vdc_source.write_text(VDC_SOURCE.format(url=engine.url, password=PASSWORD))
    ovirt_source.write_text(OVIRT_SOURCE.format(url=engine.url, password=PASSWORD))
    listings = {}
    for name, binary, source, run_env in (("vdc.infra.engine", VDC_INVENTORY, vdc_source, vdc_env),
                                          ("ovirt.ovirt.ovirt", OVIRT_INVENTORY, ovirt_source, env)):
        with console.status(f"ansible-inventory --list with {name}"):
            listings[name] = list_inventory(binary, source, work, run_env)
        if listings[name].hosts != vms:
            raise BenchFailure(f"{name} listed {listings[name].hosts} hosts, not the {vms} VMs")
    return listings


def ansible_env(work: Path, engine: Engine) -> dict[str, str]:
    env = {**os.environ, "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
           "ANSIBLE_NOCOLOR": "1", "ANSIBLE_HOME": str(work / "ansible"), "ANSIBLE_DEPRECATION_WARNINGS": "0",
           "VDC_URL": engine.url, "VDC_USERNAME": "admin@internal", "VDC_PASSWORD": PASSWORD}
    env.pop("ANSIBLE_COLLECTIONS_PATH", None)
    return env


# ---------------------------------------------------------------- the run


def run(args: argparse.Namespace) -> dict:
    if not OVIRT_PLAYBOOK.exists() and not args.skip_ovirt:
        raise BenchFailure(f"{OVIRT_PLAYBOOK} not found: `make setup` installs the ansible package in .venv-ovirt")
    if not OVIRT_INVENTORY.exists() and args.inventory:
        raise BenchFailure(f"{OVIRT_INVENTORY} not found: `make setup` installs the ansible package in .venv-ovirt")
    lab_net = f"127.232.{os.getpid() % 250 + 1}"
    with tempfile.TemporaryDirectory(prefix="vdc-bench-estate-") as tmp:
        work = Path(tmp)
        (work / "data").mkdir()
        doc = estate(args.vms, args.hosts, lab_net, work / "data" / "storage", args.clusters)
        estate_file = work / "estate.yml"
        estate_file.write_text(json.dumps(doc, indent=1))  # JSON is YAML
        (work / "apply.yml").write_text(APPLY)
        (work / "reapply.yml").write_text(REAPPLY)
        (work / "ovirt_loop.yml").write_text(OVIRT_LOOP)
        speed = [reference_loop()]
        with console.status(f"starting an engine with {args.hosts} lab hosts"):
            engine = start_engine(work / "data", args.hosts, f"{lab_net}.1")
        engine_peak = None
        try:
            env = ansible_env(work, engine)
            vdc_env = {**env, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collection")}
            apply_vars = {"estate_file": str(estate_file), "parallel": args.parallel,
                          "result_file": str(work / "result.json")}
            with console.status(f"first apply: {args.vms} VMs with a disk and a NIC each"):
                first = play(VDC_PLAYBOOK, work / "apply.yml", apply_vars, work, vdc_env)
            counts = json.loads((work / "result.json").read_text())
            (work / "startup.yml").write_text(STARTUP)
            noops, startups = [], []
            for n in range(args.noop_runs):  # interleaved, so that both see the same machine
                with console.status(f"no-op re-apply {n + 1}/{args.noop_runs}"):
                    noops.append(play(VDC_PLAYBOOK, work / "reapply.yml", apply_vars, work, vdc_env))
                if noops[-1].changed:
                    raise BenchFailure("the re-apply changed something: it is not a no-op")
                with console.status(f"ansible-playbook start-up {n + 1}/{args.noop_runs}"):
                    startups.append(play(VDC_PLAYBOOK, work / "startup.yml", {}, work, vdc_env))
            noop, startup = median_run(noops), median_run(startups)
            ovirt = None
            if not args.skip_ovirt:
                loop_vars = {"engine_url": engine.url, "password": PASSWORD, "vms": ovirt_vms(doc)}
                with console.status(f"the ovirt.ovirt way: {args.vms} ovirt_vm tasks"):
                    ovirt = play(OVIRT_PLAYBOOK, work / "ovirt_loop.yml", loop_vars, work, env)
                if ovirt.changed:
                    raise BenchFailure(f"the ovirt_vm loop changed {ovirt.changed} task(s): not the same no-op")
            inventories = compare_inventories(engine, args.vms, work, env, vdc_env) if args.inventory else None
        finally:
            engine_peak = engine.peak_rss_mb()
            engine.stop()
        speed.append(reference_loop())
    return report(args, first, counts, noop, ovirt, engine_peak, inventories, startup, speed)


def median_run(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]


def report(args: argparse.Namespace, first: Run, counts: dict, noop: Run, ovirt: Run | None,
           engine_peak: float | None = None, inventories: dict[str, Listing] | None = None,
           startup: Run | None = None, speed: list[float] | None = None) -> dict:
    ratio = round(ovirt.seconds / noop.seconds, 1) if ovirt else None
    over = round(noop.seconds - startup.seconds, 2) if startup else None
    result = {
        "date": dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average": round(os.getloadavg()[0], 2),
                    "reference_loop_s": speed},  # before and after the runs: see common.reference_loop
        "estate": {"data_centers": 1, "clusters": args.clusters, "hosts": args.hosts, "storage_domains": 2,
                   "networks": 4,
                   "vms": args.vms, "disks": args.vms, "nics": args.vms, "running_vms": (args.vms + 9) // 10,
                   "entities": sum(counts.values())},
        "settings": {"parallel": args.parallel, "database": "SQLite (fresh data directory)"},
        "results": {"first_apply_s": round(first.seconds, 2), "first_apply_created": counts["created"],
                    "noop_reapply_s": round(noop.seconds, 2), "noop_runs": args.noop_runs,
                    "playbook_startup_s": round(startup.seconds, 2) if startup else None,
                    "noop_over_startup_s": over,
                    "ovirt_vm_loop_noop_s": round(ovirt.seconds, 2) if ovirt else None, "ratio": ratio,
                    "peak_memory_mb": {"engine": engine_peak, "first_apply_playbook": first.peak_rss_mb,
                                       "noop_reapply_playbook": noop.peak_rss_mb}},
        "targets": [{"target": f"no-op re-apply < {TARGET_NOOP_S:g} s", "met": noop.seconds < TARGET_NOOP_S}],
    }
    if over is not None and args.vms <= 500:
        result["targets"].append({"target": f"no-op re-apply within {TARGET_OVER_STARTUP_S:g} s of "
                                            "ansible-playbook's start-up", "met": over <= TARGET_OVER_STARTUP_S})
    if args.vms >= 5000:
        result["targets"].append({"target": f"first apply < {TARGET_FIRST_5000_S:g} s",
                                  "met": first.seconds < TARGET_FIRST_5000_S})
    if ratio is not None:  # the loop ran (not --skip-ovirt)
        result["targets"].append({"target": f"no-op >= {TARGET_RATIO:g}x faster than the ovirt_vm loop",
                                  "met": ratio >= TARGET_RATIO})
    if inventories:
        result["results"]["inventory_list"] = {
            name: {"seconds": round(x.seconds, 2), "hosts": x.hosts, "peak_memory_mb": x.peak_rss_mb}
            for name, x in inventories.items()}
    return result


def show(report: dict) -> None:
    e, r = report["estate"], report["results"]
    table = Table(title=f"An estate through Ansible: {e['hosts']} lab hosts, {e['vms']} VMs with a disk and a NIC "
                        f"({e['entities']} entities), {report['machine']['cpus']} CPUs, load average "
                        f"{report['machine']['load_average']}, {report['date']}")
    for col in ("run", "wall time", "changed"):
        table.add_column(col, justify="left" if col == "run" else "right")
    table.add_row("vdc.infra.apply, first apply", f"{r['first_apply_s']:.1f} s", f"{r['first_apply_created']} created")
    table.add_row(f"vdc.infra.apply, no-op re-apply (median of {r['noop_runs']})", f"{r['noop_reapply_s']:.1f} s",
                  "0")
    if r.get("playbook_startup_s") is not None:
        table.add_row("ansible-playbook start-up (one set_fact task, median)", f"{r['playbook_startup_s']:.1f} s", "")
        table.add_row("no-op re-apply over the start-up", f"{r['noop_over_startup_s']:.2f} s", "")
    if r["ovirt_vm_loop_noop_s"] is not None:
        table.add_row(f"ovirt.ovirt.ovirt_vm loop ({e['vms']} tasks), no-op", f"{r['ovirt_vm_loop_noop_s']:.1f} s",
                      "0")
        table.add_row("ratio (loop / re-apply)", f"{r['ratio']:.0f}x", "")
    for name, x in r.get("inventory_list", {}).items():
        table.add_row(f"ansible-inventory --list, {name} ({x['hosts']} hosts), peak {x['peak_memory_mb']:.0f} MB",
                      f"{x['seconds']:.1f} s", "")
    peak = r["peak_memory_mb"]
    table.add_row("peak memory: engine / first apply / re-apply (largest process)",
                  " / ".join(f"{v:.0f} MB" if v is not None else "-" for v in peak.values()), "")
    console.print(table)
    if report["machine"].get("reference_loop_s"):
        console.print("machine speed (a fixed loop's CPU seconds, before / after): "
                      + " / ".join(f"{v:.2f} s" for v in report["machine"]["reference_loop_s"]))
    for t in report["targets"]:
        console.print(f"{'[green]met[/]' if t['met'] else '[red]missed[/]'}  {t['target']}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vms", type=int, default=500)
    p.add_argument("--hosts", type=int, default=10)
    p.add_argument("--clusters", type=int, default=2)
    p.add_argument("--parallel", type=int, default=8)
    p.add_argument("--noop-runs", type=int, default=9,
                   help="no-op re-applies (and start-up runs) to take the median of")
    p.add_argument("--skip-ovirt", action="store_true", help="skip the ovirt.ovirt loop")
    p.add_argument("--inventory", action="store_true",
                   help="also time ansible-inventory --list with vdc.infra.engine and with ovirt.ovirt.ovirt")
    p.add_argument("--output", type=Path, default=RESULTS)
    args = p.parse_args()
    return finish(console, args, run, show, (BenchFailure,), args.output)


if __name__ == "__main__":
    sys.exit(main())
