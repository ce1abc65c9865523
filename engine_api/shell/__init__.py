"""``vdc-shell``: the interactive shell of the oVirt API (ovirt-shell's commands and output), for vdc."""
