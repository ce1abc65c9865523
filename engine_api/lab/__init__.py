"""The lab: host machines simulated on this one, each a host agent (and, for QEMU, a libvirtd of its own) that
the engine reaches over the wire as it would a real host. It plays the hosts' side, so it may use the agent's
code (bridges, lease keepers) where the engine's layers may not."""
