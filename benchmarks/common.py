"""What the benchmark scripts share: a free port, a 95th percentile, the machine's speed at the moment, and the end
of every ``main()`` (run, show, write the results; a failure of the run is reported and exits 1)."""

from __future__ import annotations

import argparse
import json
import socket
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console


def free_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def reference_loop() -> float:
    """CPU seconds of a fixed pure-Python loop: this machine's speed at the moment, to read a run's wall times
    against (on a shared virtual machine the same code runs a third faster or slower from one hour to the next)."""
    started, total = time.process_time(), 0
    for i in range(10_000_000):
        total += i
    return round(time.process_time() - started, 2)


def finish(console: Console, args: argparse.Namespace, run: Callable[[argparse.Namespace], dict],
           show: Callable[[dict], None], failures: tuple[type[BaseException], ...], output: Path) -> int:
    """Run the benchmark, show its report and write it to ``output``; 1 when ``run`` raises one of ``failures``."""
    try:
        report = run(args)
    except failures as e:
        console.print(f"[red]benchmark failed:[/red] {e}")
        return 1
    show(report)
    output.write_text(json.dumps(report, indent=2) + "\n")
    elapsed = f" ({report['elapsed_s']:.0f} s in all)" if "elapsed_s" in report else ""
    console.print(f"written to {output}{elapsed}")
    return 0
