"""A lab switch that stands in for a firewall dropping the agent's port: while ``STATE_DIR/lab-blocked`` exists,
the agent answers no request (each waits, as a dropped packet's sender does, until its caller gives up).

It needs no root: the TLS handshake still completes, then nothing comes back, so the engine and peer agents
see what a blocked port shows them, a call that times out. The host itself goes on: its VMs run and its lease
keeper renews their leases (storage is reached another way than the management network).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

BLOCKED = "lab-blocked"


class BlockSwitch:
    def __init__(self, app, state_dir: Path):
        self.app = app
        self.flag = Path(state_dir) / BLOCKED

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            while self.flag.exists():
                await asyncio.sleep(0.1)
        await self.app(scope, receive, send)
