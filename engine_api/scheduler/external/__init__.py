"""External scheduling units: Python files in the scheduler proxy's plugin format, run in sandboxed worker
processes (:mod:`.worker`, :mod:`.pool`). The scheduler sees them through :class:`Units`, which the command
layer provides for one decision."""

from __future__ import annotations

from typing import Protocol


class Units(Protocol):
    """The external units of one decision. Each method runs the given units once (in parallel) and returns
    what the ones that succeeded said; a failing unit is left out (and reported), as the proxy skips it."""

    def name(self, unit_id: str) -> str | None: ...

    def filter(self, ids: list[str], hosts: list[str], vm_id: str, props: dict[str, str]) -> dict[str, set[str]]:
        """unit id -> the hosts it accepts."""
        ...

    def score(self, ids: list[str], hosts: list[str], vm_id: str, props: dict[str, str]) -> dict[str, dict]:
        """unit id -> {host id: weight} (lower is better)."""
        ...

    def balance(self, unit_id: str, hosts: list[str], props: dict[str, str]) -> tuple[str, list[str]] | None:
        """(the VM to move, the hosts it may go to) or None."""
        ...
