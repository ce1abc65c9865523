"""``make demo``: a lab engine with two hosts, the example estate applied with Ansible, applied again (which must
change nothing), and a summary of what exists. The engine keeps serving while stdin is a terminal (Ctrl-C
stops it); otherwise the demo ends with it.

Environment: ``VDC_DEMO_LISTEN`` (127.0.0.1:8443), ``VDC_DEMO_DIR`` (.lab/engine, recreated on each run unless
``VDC_DEMO_KEEP=1``), ``VDC_DEMO_LAB_ADDRESS`` (127.0.1.1, the first lab host; the second is the next address),
``VDC_LAB_HYPERVISOR`` (``test``, libvirt's test driver; ``qemu`` runs the VMs as real QEMU processes).
"""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.panel import Panel

from engine_api.demo import engine as lab
from engine_api.demo import playbook
from engine_api.demo.summary import counts_table, estate_tables

ROOT = Path(__file__).resolve().parent.parent
LISTEN = os.environ.get("VDC_DEMO_LISTEN", "127.0.0.1:8443")
DATA_DIR = Path(os.environ.get("VDC_DEMO_DIR", ROOT / ".lab" / "engine")).resolve()
LAB_ADDRESS = os.environ.get("VDC_DEMO_LAB_ADDRESS", "127.0.1.1")
HYPERVISOR = os.environ.get("VDC_LAB_HYPERVISOR", "test")
SITE = ROOT / "playbooks" / "site.yml"


def apply(console: Console, engine: lab.DemoEngine, title: str, workdir: Path) -> tuple[playbook.Outcome, dict]:
    """One run of playbooks/site.yml on the lab estate; returns its outcome and the apply result."""
    result_file = workdir / f"{title.split()[0].lower()}.json"
    env = {"ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collection"), "ANSIBLE_LOCALHOST_WARNING": "0",
           "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0", "VDC_URL": engine.url, "VDC_USERNAME": lab.USER,
           "VDC_PASSWORD": engine.password}
    first = ipaddress.ip_address(LAB_ADDRESS)
    hosts = json.dumps({"lab_host_addresses": [str(first), str(first + 1)]})
    args = ["-e", f"lab_engine_data_dir={engine.data_dir}", "-e", hosts, "-e", f"estate_result_file={result_file}"]
    outcome = playbook.run(console, SITE, args, env, title)
    result = json.loads(result_file.read_text()) if result_file.exists() else {}
    return outcome, result


def main() -> int:
    console = Console()
    console.rule("[bold]vdc lab demo")
    if DATA_DIR.exists() and os.environ.get("VDC_DEMO_KEEP") != "1":
        shutil.rmtree(DATA_DIR)
    with console.status(f"starting a lab engine with 2 {HYPERVISOR} hosts on {LISTEN}"):
        try:
            engine = lab.start(DATA_DIR, LISTEN, LAB_ADDRESS, hypervisor=HYPERVISOR)
        except RuntimeError as e:
            console.print(Panel(str(e), title="[red]the engine did not start", border_style="red"))
            return 1
    console.print(f"engine ready: [bold]{engine.url}[/] (data in {DATA_DIR})")
    try:
        with tempfile.TemporaryDirectory(prefix="vdc-demo-") as tmp:
            first, result = apply(console, engine, "First apply of the lab estate", Path(tmp))
            if not first.ok:
                console.print(Panel("".join(first.output[-30:]), title="[red]the first apply failed",
                                    border_style="red"))
                return 1
            console.print(counts_table(f"First apply: {first.seconds:.1f} s", result))
            second, result = apply(console, engine, "Second apply (must change nothing)", Path(tmp))
            if not second.ok or second.recap.get("changed") != 0:
                console.print(Panel(f"the second run reported changed={second.recap.get('changed')}, "
                                    f"failed={second.recap.get('failed')}: the estate is not idempotent",
                                    title="[bold red]NOT IDEMPOTENT", border_style="red"))
                return 1
            console.print(counts_table(f"Second apply: {second.seconds:.1f} s, changed=0", result))
        console.rule("[bold]What exists now")
        for table in estate_tables(engine):
            console.print(table)
        portal = engine.url.replace("/ovirt-engine/api", "/ovirt-engine/webadmin/")
        console.print(Panel(f"API: [bold]{engine.url}[/]\nPortal: [bold]{portal}[/]\nuser admin@internal, password in "
                            f"[bold]{engine.password_file}[/]", title="the lab engine"))
        if sys.stdin.isatty():
            console.print("serving; [bold]Ctrl-C[/] stops the engine")
            engine.process.wait()
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        engine.stop()


if __name__ == "__main__":
    sys.exit(main())
