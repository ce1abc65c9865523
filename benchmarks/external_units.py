"""Benchmark one external filter call: through vdc's warm pool of sandboxed workers against starting ``python3``
per call the scheduler proxy's way.

Run with ``.venv/bin/python benchmarks/external_units.py [--calls N]``. The unit is a filter written like the
seed article's (it imports ``ovirtsdk4`` at the top of its module) that keeps the hosts it is given, without
calling the engine, so that only the cost of running a unit is measured:

- **proxy way**: what oVirt's scheduler proxy did for every call: ``python3 -c "import <module>;
  <module>.<Class>().do_filter(<repr of the arguments>)"`` in the plugin directory, stdout read and parsed with
  ``ast.literal_eval``;
- **warm pool**: ``Pool.call`` of :mod:`engine_api.scheduler.external.pool` (a fresh fork of a warm, sandboxed
  interpreter per call; sandboxed when run as root), and its output parsed by the same rules.

Prints the median and p95 of each and the ratio, and writes ``benchmarks/external_units_results.json``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine_api.scheduler.external.pool import Pool, Settings, literal  # noqa: E402

UNIT = '''
import sys

import ovirtsdk4 as sdk


class keep_all():
    """keeps every host"""
    properties_validation = 'maximum_vm_count=[0-9]*'

    def do_filter(self, hosts_ids, vm_id, args_map):
        print(hosts_ids)
'''
HOSTS = [f"00000000-0000-0000-0000-{i:012d}" for i in range(10)]
VM = "11111111-1111-1111-1111-111111111111"
PROPS = {"maximum_vm_count": "3"}


def proxy_call(plugin_dir: Path) -> list:
    args = f"{HOSTS!r}, {VM!r}, {PROPS!r}"
    out = subprocess.run([sys.executable, "-c", f"import keep_all; keep_all.keep_all().do_filter({args})"],
                         cwd=plugin_dir, capture_output=True, text=True, timeout=60)
    if out.returncode or out.stderr:
        raise RuntimeError(out.stderr)
    return ast.literal_eval(out.stdout.strip())


def measure(fn, calls: int) -> list[float]:
    fn()  # warm the page cache
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        assert fn() == HOSTS
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {"median_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2), "calls": len(ordered)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        plugin_dir = Path(d)
        (plugin_dir / "keep_all.py").write_text(UNIT)
        proxy = measure(lambda: proxy_call(plugin_dir), args.calls)
    pool = Pool(Settings(size=1, timeout=30))
    try:
        pool.start()
        request = {"op": "call", "source": UNIT, "module": "keep_all", "class": "keep_all", "method": "do_filter",
                   "args": [HOSTS, VM, PROPS]}
        warm = measure(lambda: literal(pool.call(request), 30), args.calls)
        enforced = pool.enforced
    finally:
        pool.close()
    result = {"proxy_way": summary(proxy), "warm_pool": summary(warm),
              "speedup_median": round(statistics.median(proxy) / statistics.median(warm), 1),
              "sandboxed": os.geteuid() == 0, "enforced": enforced, "python": platform.python_version(),
              "machine": f"{platform.machine()}, {os.cpu_count()} CPUs"}
    print(f"{'':16}{'median ms':>12}{'p95 ms':>10}")
    for name in ("proxy_way", "warm_pool"):
        print(f"{name:16}{result[name]['median_ms']:>12}{result[name]['p95_ms']:>10}")
    print(f"speedup (median): {result['speedup_median']}x")
    Path(__file__).with_name("external_units_results.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
