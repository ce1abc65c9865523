"""Benchmark the VM start overhead of VDSM hooks: zero, one and five Python hooks using ``hooking``.

Run with ``.venv/bin/python benchmarks/hooks.py``. The agent's own driver over libvirt's test driver (so the
hypervisor costs next to nothing and the hooks' cost shows) starts and destroys a VM, repeated; each hook is a
``before_vm_start`` script with a ``#!/usr/bin/python`` line (run under the agent's Python 3) that reads the
domain XML with ``hooking.read_domxml()``, adds an element and writes it back with ``hooking.write_domxml()``,
as real hooks do. Reported per hook count: the median and the 95th percentile of ``create_vm`` (ms), and the
overhead over no hooks.

Writes ``benchmarks/hooks_results.json``. Not a pytest module.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import p95  # noqa: E402 - beside this script

from engine_api.agent.driver import Driver  # noqa: E402
from engine_api.hosts.testnode import NODE_XML  # noqa: E402

RUNS = 40
HOOK = """#!/usr/bin/python
import os
import hooking

domxml = hooking.read_domxml()
note = domxml.createElement('description')
note.appendChild(domxml.createTextNode('hook {n} saw ' + os.environ['vmId']))
domxml.documentElement.appendChild(note)
hooking.write_domxml(domxml)
"""


def measure(driver: Driver, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        spec = {"id": str(uuid.uuid4()), "name": f"bench-{uuid.uuid4().hex[:8]}", "memory": 256 << 20,
                "cpu": {"sockets": 1, "cores": 1, "threads": 1}, "custom_properties": {"numa": "strict:0"}}
        started = time.perf_counter()
        driver.create_vm(spec)
        times.append((time.perf_counter() - started) * 1000)
        driver.destroy(spec["id"])
    return times


def main() -> int:
    results: dict = {"runs": RUNS, "python": platform.python_version(), "cpus": os.cpu_count(), "hooks": {}}
    with tempfile.TemporaryDirectory() as tmp:
        node = Path(tmp) / "node.xml"
        node.write_text(NODE_XML.format(kib=64 * 1024 * 1024))
        driver = Driver(f"test://{node}", Path(tmp) / "state")
        points = driver.hooks_dir / "before_vm_start"
        points.mkdir(parents=True)
        measure(driver, 5)  # warm up
        for count in (0, 1, 5):
            for n in range(count):
                script = points / f"{10 + n}_bench"
                script.write_text(HOOK.format(n=n))
                script.chmod(0o755)
            times = measure(driver, RUNS)
            results["hooks"][str(count)] = {"median_ms": round(statistics.median(times), 2),
                                            "p95_ms": round(p95(times), 2)}
            for script in points.iterdir():
                script.unlink()
        driver.conn.close()
    base = results["hooks"]["0"]["median_ms"]
    for count, row in results["hooks"].items():
        row["overhead_median_ms"] = round(row["median_ms"] - base, 2)
        if count != "0":
            row["per_hook_ms"] = round(row["overhead_median_ms"] / int(count), 2)
        print(f"{count} hooks: median {row['median_ms']:.1f} ms, p95 {row['p95_ms']:.1f} ms, "
              f"overhead {row['overhead_median_ms']:.1f} ms")
    Path(__file__).with_name("hooks_results.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
