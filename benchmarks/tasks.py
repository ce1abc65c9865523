"""Benchmark one task per entity: the per-task cost of ``vdc.infra.vm`` against ``ovirt.ovirt.ovirt_vm``.

Most Ansible users write a task per entity, so what one task costs matters as much as what one ``apply`` costs.
Run with ``make bench`` (``.venv/bin/python benchmarks/tasks.py``). The script

1. starts ``python -m engine_api serve`` on a free port with a fresh SQLite data directory, and creates a data
   center, a cluster and a VM through ``vdc.infra`` (not timed);
2. times ``ansible-playbook`` (wall clock, process start to end) on playbooks of 20 no-op tasks on that VM (the
   same name, cluster, memory and cores every time, so every task reports ``changed=0``):

   - ``vdc.infra.vm`` as users run it (``hosts: localhost``: its action plugin runs it in the controller);
   - ``vdc.infra.vm`` in a module process (``vdc_in_controller: false``), as before the action plugins;
   - ``ovirt.ovirt.ovirt_vm`` (``.venv-ovirt``, the ``ansible`` package that ships the collection), after one
     ``ovirt_auth`` task as its documentation recommends;

   and the same playbooks without the 20 tasks (``ovirt_auth`` kept), so that Ansible's start-up is subtracted:
   the per-task cost is (with tasks - without) / 20. The runs are interleaved, ``--rounds`` times (3), and the
   median per-task cost of each kind is reported;
3. measures what importing the ``vdc.infra.vm`` action plugin (the module, its models, pydantic) costs in a fresh
   interpreter: the strategy pays it once in the controller's main process, before it forks the task workers,
   so it must not show in the per-task cost;
4. prints a table, compares with the target (vdc at least 3 times faster per task than ``ovirt_vm``) and writes
   ``benchmarks/tasks_results.json``.

A report: the exit status is 0 whatever the figures, 1 when something fails (the engine, a playbook, or a
"no-op" that changed something).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import finish
from estate import OVIRT_PLAYBOOK, PASSWORD, ROOT, VDC_PLAYBOOK, BenchFailure, Run, ansible_env, play, start_engine
from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "tasks_results.json"
TASKS = 20
TARGET_RATIO = 3.0

console = Console(width=None if sys.stdout.isatty() else 120)

VM = {"name": "bench-vm", "cluster": "bench-c", "memory": "256MiB", "cpu_cores": 1}

SETUP = f"""
- hosts: localhost
  gather_facts: false
  tasks:
    - vdc.infra.datacenter: {{name: bench-dc, compatibility_version: "4.7"}}
    - vdc.infra.cluster: {{name: bench-c, data_center: bench-dc, cpu_type: Intel Nehalem Family}}
    - vdc.infra.vm: {json.dumps(VM)}
"""


def vdc_playbook(tasks: int) -> str:
    start = "    - ansible.builtin.debug: {msg: start}\n"  # in both playbooks: a recap even without the tasks
    body = "".join(f"    - vdc.infra.vm: {json.dumps(VM)}\n" for _ in range(tasks))
    return f"- hosts: localhost\n  gather_facts: false\n  tasks:\n{start}{body}"


def ovirt_playbook(tasks: int) -> str:
    auth = ('    - ovirt.ovirt.ovirt_auth: {url: "{{ engine_url }}", username: admin@internal, '
            'password: "{{ password }}", insecure: true}\n')
    vm = f'    - ovirt.ovirt.ovirt_vm: {json.dumps({**VM, "state": "present", "auth": "{{ ovirt_auth }}"})}\n'
    return f"- hosts: localhost\n  gather_facts: false\n  tasks:\n{auth}{vm * tasks}"


def import_cost() -> float:
    """Seconds to import the vdc.infra.vm action plugin in a fresh interpreter (after ansible's action base)."""
    code = ("import time, ansible.plugins.action.normal; t = time.perf_counter(); "
            "import ansible_collections.vdc.infra.plugins.action.vm; print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "collection", capture_output=True, text=True,
                         check=True).stdout
    return float(out.strip())


def run(args: argparse.Namespace) -> dict:
    if not OVIRT_PLAYBOOK.exists():
        raise BenchFailure(f"{OVIRT_PLAYBOOK} not found: `make setup` installs the ansible package in .venv-ovirt")
    with tempfile.TemporaryDirectory(prefix="vdc-bench-tasks-") as tmp:
        work = Path(tmp)
        (work / "data").mkdir()
        books = {"setup": SETUP, "vdc": vdc_playbook(TASKS), "vdc_empty": vdc_playbook(0),
                 "ovirt": ovirt_playbook(TASKS), "ovirt_empty": ovirt_playbook(0)}
        for name, text in books.items():
            (work / f"{name}.yml").write_text(text)
        with console.status("starting an engine"):
            engine = start_engine(work / "data", 0, f"127.233.{os.getpid() % 250 + 1}.1")
        try:
            env = ansible_env(work, engine)
            vdc_env = {**env, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collection")}
            variables = {"engine_url": engine.url, "password": PASSWORD}
            play(VDC_PLAYBOOK, work / "setup.yml", variables, work, vdc_env)
            kinds = {  # kind: (binary, playbook with the tasks, playbook without, extra variables, environment)
                "vdc.infra.vm (in the controller)": (VDC_PLAYBOOK, "vdc", "vdc_empty", {}, vdc_env),
                "vdc.infra.vm (module process)": (VDC_PLAYBOOK, "vdc", "vdc_empty", {"vdc_in_controller": False},
                                                  vdc_env),
                "ovirt.ovirt.ovirt_vm": (OVIRT_PLAYBOOK, "ovirt", "ovirt_empty", {}, env),
            }
            per_task: dict[str, list[float]] = {kind: [] for kind in kinds}
            playbook_s: dict[str, list[float]] = {kind: [] for kind in kinds}
            for round_ in range(args.rounds):
                for kind, (binary, full, empty, extra, kind_env) in kinds.items():
                    with console.status(f"round {round_ + 1}/{args.rounds}: {kind}"):
                        base = play(binary, work / f"{empty}.yml", {**variables, **extra}, work, kind_env)
                        timed: Run = play(binary, work / f"{full}.yml", {**variables, **extra}, work, kind_env)
                    if timed.changed:
                        raise BenchFailure(f"{kind}: {timed.changed} task(s) changed something: not a no-op")
                    per_task[kind].append((timed.seconds - base.seconds) / TASKS)
                    playbook_s[kind].append(timed.seconds)
        finally:
            engine.stop()
    return report(args, per_task, playbook_s, import_cost())


def report(args: argparse.Namespace, per_task: dict[str, list[float]], playbook_s: dict[str, list[float]],
           imports: float) -> dict:
    medians = {kind: statistics.median(values) for kind, values in per_task.items()}
    vdc, module, ovirt = medians.values()
    ratio = round(ovirt / vdc, 1) if vdc > 0 else None
    return {
        "date": dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average": round(os.getloadavg()[0], 2)},
        "settings": {"tasks": TASKS, "rounds": args.rounds, "database": "SQLite (fresh data directory)"},
        "results": {
            "per_task_s": {kind: round(value, 3) for kind, value in medians.items()},
            "per_task_rounds_s": {kind: [round(v, 3) for v in values] for kind, values in per_task.items()},
            "playbook_median_s": {kind: round(statistics.median(v), 2) for kind, v in playbook_s.items()},
            "ratio_ovirt_to_vdc": ratio,
            "ratio_module_to_vdc": round(module / vdc, 1) if vdc > 0 else None,
            "action_plugin_import_s": round(imports, 3),
        },
        "targets": [{"target": f"vdc.infra.vm >= {TARGET_RATIO:g}x faster per task than ovirt.ovirt.ovirt_vm",
                     "met": ratio is not None and ratio >= TARGET_RATIO},
                    {"target": "imports paid once: the per-task cost is below the action plugin's import cost",
                     "met": vdc < imports}],
    }


def show(report: dict) -> None:
    r = report["results"]
    table = Table(title=f"One task per entity: {TASKS} no-op tasks, median of {report['settings']['rounds']} "
                        f"interleaved rounds, {report['machine']['cpus']} CPUs, load average "
                        f"{report['machine']['load_average']}, {report['date']}")
    for col in ("task", "per task", f"playbook of {TASKS}"):
        table.add_column(col, justify="left" if col == "task" else "right")
    for kind, seconds in r["per_task_s"].items():
        table.add_row(kind, f"{seconds * 1000:.0f} ms", f"{r['playbook_median_s'][kind]:.1f} s")
    table.add_row("ratio ovirt_vm / vdc (in the controller)", f"{r['ratio_ovirt_to_vdc']}x", "")
    table.add_row("importing the vdc.infra.vm action plugin (once)", f"{r['action_plugin_import_s'] * 1000:.0f} ms", "")
    console.print(table)
    for t in report["targets"]:
        console.print(f"{'[green]met[/]' if t['met'] else '[red]missed[/]'}  {t['target']}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--output", type=Path, default=RESULTS)
    args = p.parse_args()
    return finish(console, args, run, show, (BenchFailure,), args.output)


if __name__ == "__main__":
    sys.exit(main())
