"""Hook points and deployed scripts as the engine checks them and the agent runs them."""

from __future__ import annotations

import re

DOMXML, JSON, EMPTY = "domxml", "json", "empty"

# point -> (the data its scripts get, whether a failure fails the operation); vdsm's raiseError
POINTS: dict[str, tuple[str, bool]] = {
    "before_vm_start": (DOMXML, True), "after_vm_start": (DOMXML, False),
    "before_vm_cont": (DOMXML, True), "after_vm_cont": (DOMXML, False),
    "before_vm_pause": (DOMXML, True), "after_vm_pause": (DOMXML, False),
    "before_vm_hibernate": (DOMXML, True), "after_vm_hibernate": (DOMXML, False),
    "before_vm_dehibernate": (DOMXML, True), "after_vm_dehibernate": (DOMXML, False),
    "before_vm_migrate_source": (DOMXML, True), "after_vm_migrate_source": (DOMXML, False),
    "before_vm_migrate_destination": (DOMXML, True), "after_vm_migrate_destination": (DOMXML, False),
    "before_vm_destroy": (EMPTY, False), "after_vm_destroy": (DOMXML, False),
    "before_vm_set_ticket": (DOMXML, False), "after_vm_set_ticket": (DOMXML, False),
    "before_vdsm_start": (EMPTY, False), "after_vdsm_stop": (EMPTY, False),
    "before_get_caps": (JSON, True), "after_get_caps": (JSON, False),
    "before_get_stats": (JSON, True), "after_get_stats": (JSON, False),
    "before_get_all_vm_stats": (JSON, True), "after_get_all_vm_stats": (JSON, False),
}
NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$")  # a deployed script's file name
MAX_SCRIPT = 1 << 20  # bytes of one deployed script
