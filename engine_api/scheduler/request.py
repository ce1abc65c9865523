"""One placement request as the policy units see it, and the parameters they read."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine_api.scheduler.model import HostView, Snapshot, VmView, free_memory

# oVirt's policy unit parameters (name -> regular expression of a valid value).
PARAMETERS: dict[str, str] = {
    "ScaleDown": r"(100|[1-9]|[1-9][0-9])$",
    "HighVmCount": r"^([0-9]|[1-9][0-9]+)$",
    "MigrationThreshold": r"^([2-9]|[1-9][0-9]+)$",
    "SpmVmGrace": r"^([0-9]|[1-9][0-9]+)$",
    "CpuOverCommitDurationMinutes": r"^([1-9][0-9]*)$",
    "HighUtilization": r"^([5-9][0-9])$",
    "LowUtilization": r"^([0-9]|[1-4][0-9])$",
    "VCpuToPhysicalCpuRatio": r"^([0-2](\.([0-9]+))?)$",
    "HostsInReserve": r"^[0-9][0-9]*$",
    "EnableAutomaticHostPowerManagement": r"^(true|false)$",
    "MaxFreeMemoryForOverUtilized": r"^([1-9][0-9]*)$",
    "MinFreeMemoryForUnderUtilized": r"^([1-9][0-9]*)$",
    "HeSparesCount": r"^([0-9][0-9]*)$",
    "MaximumAllowedSwapUsage": r"^1?[0-9]?[0-9]$",
}

# What a unit uses when neither the cluster nor its policy sets a parameter (oVirt's engine configuration
# defaults: HighUtilizationForScheduling, CpuOverCommitDurationMinutes, BlockMigrationOnSwapUsagePercentage,
# SpmVmGraceForEvenGuestDistribute, HighVmCountForEvenGuestDistribute, MigrationThresholdForEvenGuestDistribute,
# LowUtilizationForPowerSave).
DEFAULTS: dict[str, str] = {
    "HighUtilization": "80", "CpuOverCommitDurationMinutes": "2", "MaximumAllowedSwapUsage": "0",
    "SpmVmGrace": "5", "HighVmCount": "10", "MigrationThreshold": "5", "LowUtilization": "20",
    "VCpuToPhysicalCpuRatio": "0", "HeSparesCount": "0", "ScaleDown": "1",
}


@dataclass
class Request:
    """Place ``vm`` in ``snapshot``'s cluster with the policy's merged parameters ``props``. ``migrating``: the VM
    runs on ``vm.host`` and is to move away from it; ``balancing``: the load balancer asks."""

    snapshot: Snapshot
    vm: VmView
    props: dict[str, str] = field(default_factory=dict)
    migrating: bool = False
    balancing: bool = False

    _free: dict[str, int] = field(default_factory=dict, repr=False)

    def free(self, host: HostView) -> int:
        """The host's free memory for this VM (see :func:`free_memory`), computed once per request."""
        free = self._free.get(host.id)
        if free is None:
            free = self._free[host.id] = free_memory(self.snapshot, host, self.vm, self.snapshot.load())
        return free

    def number(self, name: str) -> float:
        value = self.props.get(name) or DEFAULTS.get(name) or "0"
        try:
            return float(value)
        except ValueError:
            return float(DEFAULTS.get(name) or 0)


def number(props: dict[str, str], name: str) -> float:
    return Request(Snapshot(""), VmView("", ""), props).number(name)


def overloaded(host: HostView, high: float, minutes: float) -> bool:
    """oVirt's over-committed host: its CPU use has stayed above ``high`` percent for ``minutes`` minutes."""
    return (host.cpu_usage is not None and host.cpu_usage > high and host.cpu_high_min > high
            and host.cpu_high_for >= minutes * 60)
