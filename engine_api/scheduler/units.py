"""The built-in policy units, with oVirt's ids, names, types, descriptions and parameters.

Mandatory filters run whatever a policy says. Units whose subject this engine does not model (CPU flags, host
devices, vNUMA, huge pages, the hosted-engine VM, VM leases) are listed so that policies read as oVirt's, and
refuse nothing / weigh every host the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine_api.scheduler import balancers, filters, weights

FILTER, WEIGHT, BALANCE = "filter", "weight", "load_balancing"


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    type: str
    description: str
    fn: Callable[..., Any]
    parameters: tuple[str, ...] = ()
    mandatory: bool = False


_F = filters
_W = weights
_B = balancers

UNITS: list[Unit] = [
    # filters
    Unit("3e4a7d54-9e7f-11e5-8994-feff819cdc9f", "Compatibility-Version", FILTER,
         "Runs VMs only on hosts with a proper compatibility-version support", _F.compatibility_version,
         mandatory=True),
    Unit("438b052c-90ab-40e8-9be0-a22560202ea6", "CPU-Level", FILTER, "Runs VMs only on hosts with a proper CPU level",
         _F.nothing_to_check, mandatory=True),
    Unit("35c2f1a5-8928-48e9-81ac-4c49eb49d60e", "CPUTopology", FILTER,
         "Runs VMs only on hosts with a proper CPU topology", _F.nothing_to_check, mandatory=True),
    Unit("6d636bf6-a35c-4f9d-b68d-0731f731cddc", "CpuPinning", FILTER,
         "Filters out hosts which do not satisfy a VMs cpu pinning constraints", _F.nothing_to_check, mandatory=True),
    Unit("728a21f1-f97e-4d32-bc3e-b3cc49756abb", "HostDevice", FILTER,
         "Filters out hosts not supporting VM required host devices", _F.nothing_to_check, mandatory=True),
    Unit("aa604ea6-f758-4d28-8e05-bf5f4a0818bd", "MDevice", FILTER,
         "Filters out hosts that do not have required mDev devices", _F.nothing_to_check, mandatory=True),
    Unit("12262ab6-9690-4bc3-a2b3-35573b172d54", "PinToHost", FILTER, "Filters out all hosts that VM is not pinned to",
         _F.pin_to_host, mandatory=True),
    Unit("b454ae40-f767-45b1-949a-7e5bd04d83ab", "VM leases ready", FILTER,
         "Filters out hosts that are not ready to support VM leases", _F.nothing_to_check, mandatory=True),
    Unit("6d636bf6-a35c-4f9d-b68d-0731f720cddc", "CPU", FILTER, "Filters out hosts with less CPUs than VM's CPUs",
         _F.cpu),
    Unit("98842bc5-4094-4b83-8224-7b50f86a94c9", "CPUOverloaded", FILTER, "Filters out CPU overloaded hosts.",
         _F.cpu_overloaded, ("HighUtilization", "CpuOverCommitDurationMinutes")),
    Unit("0bd8fef9-bcb4-4250-9998-410f01608d9b", "ClusterInMaintenance", FILTER,
         "Prevents any VM start except for highly available VMs", _F.cluster_in_maintenance),
    Unit("58894b5b-d55d-4f85-8f82-5bf217e640b0", "Emulated-Machine", FILTER,
         "Runs VMs only on hosts with a proper emulated machine support", _F.nothing_to_check),
    Unit("e659c871-0bf1-4ccc-b748-f28f5d08dffd", "HA", FILTER,
         "Runs the hosted engine VM only on hosts with a positive score", _F.hosted_engine_ha),
    Unit("53bff075-8306-446f-a53b-9c872a29d197", "HostedEngineSpares", FILTER,
         "Reserve space for starting the hosted engine VM on different hosts in case the current one crashes.",
         _F.nothing_to_check, ("HeSparesCount",)),
    Unit("aae8c702-4756-4934-b84c-8daf59efc134", "Host-hooks", FILTER,
         "Runs VMs only on hosts with a hooks required by VM's configuration", _F.host_hooks),
    Unit("23e07b34-66dd-4735-bc45-bcddded02c05", "HugePages", FILTER,
         "Filters out hosts that do not have enough free huge pages", _F.nothing_to_check),
    Unit("c9ddbb34-0e1d-4061-a8d7-b0893fa80932", "Memory", FILTER,
         "Filters out hosts that have insufficient memory to run the VM", _F.memory),
    Unit("e659c871-0bf1-4ccc-b748-f28f5d08ddda", "Migration", FILTER, "Prevent migration to the same host.",
         _F.migration),
    Unit("47ea3cd0-8a2f-438d-9f63-49534178882a", "Migration-Tsc-Frequency", FILTER,
         "High-Performance VMs can only be migrated to hosts with the same TSC frequency", _F.nothing_to_check),
    Unit("72163d1c-9468-4480-99d9-0888664eb143", "Network", FILTER,
         "Filters out hosts that are missing networks required by VM NICs, or missing cluster's display network",
         _F.network),
    Unit("fcbfe4b1-b83e-4428-b9d3-b3d348b93be6", "NUMA", FILTER, "Filters out hosts that have incompatible NUMA nodes.",
         _F.nothing_to_check),
    Unit("43b9e654-337f-4b0d-a896-cbb22ce5a7fc", "Swap", FILTER, "Filters out hosts that are swapping", _F.swap,
         ("MaximumAllowedSwapUsage",)),
    Unit("84e6ddee-ab0d-42dd-82f0-c297779db566", "VmAffinityGroups", FILTER,
         "Enables Affinity Groups hard enforcement for VMs; VMs in group are required to run either on the same "
         "hypervisor host (positive) or on independent hypervisor hosts (negative)", _F.vm_affinity),
    Unit("e69808a9-8a41-40f1-94ba-dd5d385d82d8", "VmToHostsAffinityGroups", FILTER,
         "Enables Affinity Groups hard enforcement for VMs to hosts; VMs in group are required to run either on one "
         "of the hosts in group (positive) or on independent hosts which are excluded from the hosts in group "
         "(negative).", _F.vm_to_host_affinity),
    # weights
    Unit("7db4ab05-81ab-42e8-868a-aee2df483edb", "OptimalForCpuEvenDistribution", WEIGHT,
         "Gives hosts with lower CPU usage, lower weight (means that hosts with lower CPU usage are more likely to "
         "be selected)", _W.cpu_even, ("VCpuToPhysicalCpuRatio",)),
    Unit("4134247a-9c58-4b9a-8593-530bb9e37c59", "OptimalForMemoryEvenDistribution", WEIGHT,
         "Gives hosts with higher available memory, lower weight (means that hosts with more available memory are "
         "more likely to be selected)", _W.memory_even),
    Unit("736999d0-1023-46a4-9a75-1316ed50e15b", "OptimalForCpuPowerSaving", WEIGHT,
         "Gives hosts with higher CPU usage, lower weight (means that hosts with higher CPU usage are more likely "
         "to be selected)", _W.cpu_power_saving, ("HighUtilization",)),
    Unit("9dfe6086-646d-43b8-8eef-4d94de8472c8", "OptimalForMemoryPowerSaving", WEIGHT,
         "Gives hosts with lower available memory, lower weight (means that hosts with lower available memory are "
         "more likely to be selected)", _W.memory_power_saving,
         ("MaxFreeMemoryForOverUtilized", "MinFreeMemoryForUnderUtilized")),
    Unit("3ba8c988-f779-42c0-90ce-caa8243edee7", "OptimalForEvenGuestDistribution", WEIGHT, "", _W.even_guest,
         ("SpmVmGrace",)),
    Unit("7f262d70-6cac-11e3-981f-0800200c9a66", "OptimalForHaReservation", WEIGHT,
         "Weights hosts according to their HA score regardless of hosted engine", _W.ha_reservation, ("ScaleDown",)),
    Unit("98e92667-6161-41fb-b3fa-34f820ccbc4b", "HA", WEIGHT, "Weights hosts according to their HA score", _W.equal),
    Unit("591cdb81-ba67-45b4-9642-e28f61a97d57", "PreferredHosts", WEIGHT,
         "Prioritize preferred hosts during VM startup.", _W.preferred_hosts),
    Unit("84e6ddee-ab0d-42dd-82f0-c297779db567", "VmAffinityGroups", WEIGHT,
         "Enables Affinity Groups soft enforcement for VMs; VMs in group are most likely to run either on the same "
         "hypervisor host (positive) or on independent hypervisor hosts (negative)", _W.vm_affinity),
    Unit("427aed70-dae3-48ba-8fe9-a902a9d563c8", "VmToHostsAffinityGroups", WEIGHT,
         "Enables Affinity Groups soft enforcement for VMs to hosts; VMs in group are most likely to run either on "
         "one of the hosts in group (positive) or on independent hosts which are excluded from the hosts in group "
         "(negative)", _W.vm_to_host_affinity),
    Unit("71931e14-f0e6-4f91-a7c8-d494a26e3a09", "CPU for high performance VMs", WEIGHT,
         "Prefers hosts that have more or equal number of sockets, cores and threads.", _W.high_performance_cpu),
    Unit("1b14ac11-20e9-4593-a149-2eb83c60a330", "CPU and NUMA pinning compatibility", WEIGHT,
         "Prefers hosts where CPU pinning is compatible with NUMA node pinning", _W.equal),
    # balancers
    Unit("38440000-8cf0-14bd-c43e-10b96e4ef00a", "None", BALANCE, "No load balancing operation", _B.none),
    Unit("7db4ab05-81ab-42e8-868a-aee2df483ed2", "OptimalForEvenDistribution", BALANCE,
         "Load balancing VMs in cluster according to hosts CPU load, striving cluster's hosts CPU load to be under "
         "'HighUtilization'", _B.even_distribution,
         ("HighUtilization", "MaxFreeMemoryForOverUtilized", "MinFreeMemoryForUnderUtilized",
          "CpuOverCommitDurationMinutes", "VCpuToPhysicalCpuRatio")),
    Unit("736999d0-1023-46a4-9a75-1316ed50e151", "OptimalForPowerSaving", BALANCE,
         "Load balancing VMs in cluster according to hosts CPU load, striving cluster's hosts CPU load to be over "
         "'LowUtilization' and under 'HighUtilization'", _B.power_saving,
         ("HighUtilization", "MaxFreeMemoryForOverUtilized", "MinFreeMemoryForUnderUtilized",
          "CpuOverCommitDurationMinutes", "LowUtilization", "EnableAutomaticHostPowerManagement", "HostsInReserve")),
    Unit("d58c8e32-44e1-418f-9222-52cd887bf9e0", "OptimalForEvenGuestDistribution", BALANCE, "", _B.even_guest,
         ("SpmVmGrace", "HighVmCount", "MigrationThreshold")),
]

BY_ID: dict[str, Unit] = {u.id: u for u in UNITS}
MANDATORY: list[Unit] = [u for u in UNITS if u.mandatory]


def by_name(name: str, type_: str) -> Unit | None:
    """Names are not unique across types (``HA``, ``VmAffinityGroups``, ``OptimalForEvenGuestDistribution``)."""
    return next((u for u in UNITS if u.name.lower() == name.lower() and u.type == type_), None)
