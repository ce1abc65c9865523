"""Cluster policies: which filters run (and in what order), which weights rank hosts with what factor, which
balancer moves VMs, and their parameters. The five built-in ones are oVirt's, locked."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine_api.scheduler.units import by_name

NONE_ID = "b4ed2332-a7ac-4d5f-9596-99a439cb2812"
CLUSTER_MAINTENANCE_ID = "7677771e-5eab-422e-83fa-dc04080d21b7"
EVENLY_DISTRIBUTED_ID = "20d25257-b4bd-4589-92a6-c4c5c5d3fd1a"
POWER_SAVING_ID = "5a2b0939-7d46-4b73-a469-e9c2c7fc6a53"
VM_EVENLY_DISTRIBUTED_ID = "8d5d7bec-68de-4a67-b53e-0ac54686d579"


@dataclass
class Policy:
    id: str
    name: str
    description: str = ""
    locked: bool = False
    default: bool = False
    filters: list[tuple[str, int]] = field(default_factory=list)  # (unit id, position: -1 first, 1 last, 0)
    weights: list[tuple[str, int]] = field(default_factory=list)  # (unit id, factor)
    balance: str | None = None  # unit id
    properties: dict[str, str] = field(default_factory=dict)

    def ordered_filters(self) -> list[str]:
        """Filter unit ids in running order: the first, the others as added, the last."""
        return [u for u, _ in sorted(self.filters, key=lambda f: f[1])]


def _ids(names: list[str], type_: str) -> list[str]:
    out = []
    for name in names:
        unit = by_name(name, type_)
        assert unit is not None, name
        out.append(unit.id)
    return out


def _positions(names: list[str]) -> list[tuple[str, int]]:
    """As oVirt builds its policies: the first filter added is first, the last one last."""
    ids = _ids(names, "filter")
    return [(u, -1 if i == 0 else 1 if i == len(ids) - 1 else 0) for i, u in enumerate(ids)]


FILTERS = ["CPU", "CPUOverloaded", "Emulated-Machine", "HA", "Swap", "Memory", "NUMA", "HugePages", "Migration",
           "VmAffinityGroups", "VmToHostsAffinityGroups", "Network", "HostedEngineSpares", "Migration-Tsc-Frequency",
           "Host-hooks"]
REST_OF_WEIGHTS = [("PreferredHosts", 99), ("HA", 1), ("OptimalForHaReservation", 1), ("VmAffinityGroups", 1),
                   ("VmToHostsAffinityGroups", 20), ("CPU for high performance VMs", 4),
                   ("CPU and NUMA pinning compatibility", 5)]
EVEN_WEIGHTS = [("OptimalForCpuEvenDistribution", 2), ("OptimalForMemoryEvenDistribution", 1), *REST_OF_WEIGHTS]


def _weights(pairs: list[tuple[str, int]]) -> list[tuple[str, int]]:
    return list(zip(_ids([n for n, _ in pairs], "weight"), [f for _, f in pairs], strict=True))


def _builtin(id_: str, name: str, balancer: str, filters: list[str], weights: list[tuple[str, int]],
             properties: dict[str, str], default: bool = False) -> Policy:
    return Policy(id_, name, "", True, default, _positions(filters), _weights(weights),
                  _ids([balancer], "load_balancing")[0], properties)


BUILTIN: list[Policy] = [
    _builtin(NONE_ID, "none", "None", FILTERS, EVEN_WEIGHTS,
             {"CpuOverCommitDurationMinutes": "2", "HighUtilization": "80"}, default=True),
    _builtin(CLUSTER_MAINTENANCE_ID, "cluster_maintenance", "None", ["ClusterInMaintenance", *FILTERS], EVEN_WEIGHTS,
             {"CpuOverCommitDurationMinutes": "2", "HighUtilization": "80"}),
    _builtin(EVENLY_DISTRIBUTED_ID, "evenly_distributed", "OptimalForEvenDistribution", FILTERS, EVEN_WEIGHTS,
             {"HeSparesCount": "0", "CpuOverCommitDurationMinutes": "2", "HighUtilization": "80",
              "VCpuToPhysicalCpuRatio": "0"}),
    _builtin(POWER_SAVING_ID, "power_saving", "OptimalForPowerSaving", FILTERS,
             [("OptimalForCpuPowerSaving", 2), ("OptimalForMemoryPowerSaving", 1), *REST_OF_WEIGHTS],
             {"HeSparesCount": "0", "CpuOverCommitDurationMinutes": "2", "HighUtilization": "80",
              "LowUtilization": "20"}),
    _builtin(VM_EVENLY_DISTRIBUTED_ID, "vm_evenly_distributed", "OptimalForEvenGuestDistribution", FILTERS,
             [("OptimalForEvenGuestDistribution", 2), *REST_OF_WEIGHTS],
             {"HeSparesCount": "0", "CpuOverCommitDurationMinutes": "2", "HighUtilization": "80", "HighVmCount": "10",
              "MigrationThreshold": "5", "SpmVmGrace": "5"}),
]
BUILTIN_BY_ID: dict[str, Policy] = {p.id: p for p in BUILTIN}
