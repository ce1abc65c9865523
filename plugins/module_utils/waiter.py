"""Polling an entity until it reaches an end state, fails, disappears, or time runs out."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ansible_collections.vdc.infra.plugins.module_utils.errors import WaitError


@dataclass(frozen=True)
class WaitOptions:
    wait: bool = True
    timeout: int = 180
    poll_interval: int = 3


def wait_for(read: Callable[[], dict | None], label: str, ok: tuple[str, ...], failed: tuple[str, ...],
             options: WaitOptions, gone: bool = False, clock: Callable[[], float] = time.monotonic,
             sleep: Callable[[float], None] = time.sleep) -> dict | None:
    """Poll ``read`` until its ``status`` is in ``ok`` (or it is gone, when ``gone``); raise WaitError otherwise."""
    deadline = clock() + options.timeout
    state = None
    polls = 0
    while True:
        doc = read()
        if doc is None:
            if gone:
                return None
            raise WaitError("disappeared while waiting for it", label)
        state = doc.get("status")
        if not gone and (not ok or state in ok):
            return doc
        if state in failed:
            raise WaitError(f"reached the failure state {state} (waiting for {', '.join(ok)})", label, state)
        if clock() >= deadline:
            target = "removal" if gone else " or ".join(ok)
            raise WaitError(f"did not reach {target} within {options.timeout}s; last state: {state}", label, state)
        # Quick first polls (most end states come within a second), then every poll_interval at most.
        sleep(max(0.05, min(options.poll_interval, deadline - clock(), 0.1 * 2 ** polls)))
        polls += 1
