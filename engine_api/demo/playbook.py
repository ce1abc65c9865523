"""Running ``ansible-playbook`` with its output streamed through rich: a spinner naming the current task and
its elapsed time, each task's outcome in colour, and the recap parsed for the caller."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.text import Text

RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")
STYLES = {"ok": "green", "changed": "yellow", "skipping": "cyan", "fatal": "bold red", "failed": "bold red",
          "included": "cyan"}


@dataclass
class Outcome:
    returncode: int
    recap: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    output: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.recap.get("failed", 1) == 0


def _styled(line: str) -> Text | None:
    """A line worth showing, styled; None for the noise (banners' stars, blank lines)."""
    stripped = line.rstrip()
    if not stripped.strip("* "):
        return None
    if stripped.startswith(("TASK [", "PLAY [", "PLAY RECAP")):
        return Text(stripped.rstrip("* "), style="bold")
    word = stripped.split(":", 1)[0]
    return Text(stripped, style=STYLES.get(word, ""))


def run(console: Console, playbook: Path, args: list[str], env: dict[str, str], title: str) -> Outcome:
    """Run the playbook, streaming its output; returns the recap of localhost."""
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook), *args]
    env = {**os.environ, **env, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "PYTHONUNBUFFERED": "1"}
    started = time.monotonic()
    outcome = Outcome(returncode=-1)
    with console.status(f"[bold]{title}[/]") as status:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        task = ""
        for line in proc.stdout:  # type: ignore[union-attr]
            outcome.output.append(line)
            if line.startswith("TASK ["):
                task = line[6:line.find("]")]
            status.update(f"[bold]{title}[/]  {task}  [dim]{time.monotonic() - started:4.1f}s[/]")
            text = _styled(line)
            if text is not None:
                console.print(text)
            found = RECAP.match(line)
            if found:
                outcome.recap = dict(zip(("ok", "changed", "unreachable", "failed"), map(int, found.groups()[1:]),
                                         strict=True))
        outcome.returncode = proc.wait()
    outcome.seconds = time.monotonic() - started
    return outcome
